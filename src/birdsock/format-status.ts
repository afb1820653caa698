/**
 * `show status` and `show memory` in BIRD 1.6.8's layout (nest/cmds.c cmd_show_status,
 * cmd_show_memory; nest/proto.c graceful_restart_show_status).
 *
 * `show status` may hold only lines coded 1000, 1011, continuations, 0024 and the final 0013:
 * calico-node's graceful-restart check rejects any other, and its status reporter reads the version
 * from `BIRD v...` and stops at 0013. The 0024 block is there while wren restarts with the routes of
 * its previous run kept (RecoveryStatus), as BIRD's is after `bird -R` (Calico starts BIRD so).
 */
import { Code, type ReplyLine } from './reply.js';
import { longTime } from './time.js';

export interface StatusFacts {
  readonly version: string;
  readonly routerId: string;
  readonly nowMs: number;
  readonly startedMs: number;
  readonly reconfiguredMs: number;
  readonly recovery: { readonly waitingFor: number; readonly remainingSec: number; readonly timeoutSec: number } | null;
  readonly stopping: boolean;
}

export function showStatus(s: StatusFacts): ReplyLine[] {
  const lines: ReplyLine[] = [
    { code: Code.VERSION, text: `BIRD ${s.version}` },
    { code: Code.UPTIME, text: `Router ID is ${s.routerId}` },
    { code: Code.UPTIME, text: `Current server time is ${longTime(s.nowMs)}` },
    { code: Code.UPTIME, text: `Last reboot on ${longTime(s.startedMs)}` },
    { code: Code.UPTIME, text: `Last reconfiguration on ${longTime(s.reconfiguredMs)}` },
  ];
  const r = s.recovery;
  if (r !== null) {
    lines.push(
      { code: Code.GRACEFUL_RESTART_STATUS, text: 'Graceful restart recovery in progress' },
      { code: Code.GRACEFUL_RESTART_STATUS, text: `  Waiting for ${r.waitingFor} protocols to recover` },
      { code: Code.GRACEFUL_RESTART_STATUS, text: `  Wait timer is ${r.remainingSec}/${r.timeoutSec}` },
    );
  }
  lines.push({ code: Code.STATUS, text: s.stopping ? 'Shutdown in progress' : 'Daemon is up and running' });
  return lines;
}

/** Node's process.memoryUsage(), bytes. */
export interface MemoryFacts {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
}

/** print_size(): a number of at most 4 digits and its unit (B, kB, MB, GB), the label padded to 17. */
export function sizeLine(label: string, bytes: number): string {
  let v = Math.max(0, Math.floor(bytes));
  let unit = 0;
  while (v >= 10000 && unit < 3) {
    v = Math.floor((v + 512) / 1024);
    unit++;
  }
  return `${label.padEnd(17)} ${String(v).padStart(4)} ${' kMG'[unit] ?? ' '}B`;
}

/**
 * BIRD's table of memory pools, with the pools a Node.js process has: the JavaScript heap (used
 * and reserved), memory outside it (buffers, the native addon), and the resident total.
 */
export function showMemory(m: MemoryFacts): ReplyLine[] {
  return [
    { code: Code.MEMORY, text: 'BIRD memory usage' },
    { code: Code.MEMORY, text: sizeLine('JS heap used:', m.heapUsed) },
    { code: Code.MEMORY, text: sizeLine('JS heap total:', m.heapTotal) },
    { code: Code.MEMORY, text: sizeLine('External:', m.external) },
    { code: Code.MEMORY, text: sizeLine('Total:', m.rss) },
    { code: Code.OK, text: '' },
  ];
}
