/**
 * Guards the route-notification socket of the `netlink` package (see native/src/netlink_tune.c):
 * NETLINK_NO_ENOBUFS and a forced large receive buffer, through wren's own native addon. Without
 * it, an overflow of that socket (a flood of route changes, ours or anyone's) makes the package's
 * native poll handler abort the process. Loads the same .node file as session/tcp-native.ts,
 * independently (the kernel module does not depend on the session module).
 */
import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';

interface TuneAddon {
  netlinkTune(portId: number, rcvbufBytes: number): number | { errno: number; syscall: string };
}

let addon: TuneAddon | null | undefined;

function load(): TuneAddon | null {
  if (addon !== undefined) return addon;
  try {
    const override = process.env['WREN_TCP_ADDON'];
    const path = override ?? new URL('../../native/build/Release/wren_tcp.node', import.meta.url).pathname;
    addon = createRequire(override ?? import.meta.url)(path) as TuneAddon;
  } catch {
    addon = null;
  }
  return addon;
}

/** null when done, else why not (the caller logs it). */
export function tuneNotificationSocket(portId: number, rcvbufBytes: number): string | null {
  const a = load();
  if (!a) return 'the native addon (native/build/Release/wren_tcp.node) is not built';
  const r = a.netlinkTune(portId, rcvbufBytes);
  return typeof r === 'number' ? null : `${r.syscall}: ${getSystemErrorName(-Math.abs(r.errno))}`;
}
