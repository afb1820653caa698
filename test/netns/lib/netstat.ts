/**
 * Per-namespace kernel counters (`/proc/net/netstat` and `/proc/net/snmp`, read from inside the
 * namespace): evidence for
 * what the kernel dropped before any daemon saw it, e.g. `TcpExt.TCPMD5Failure` (a segment with a
 * wrong or missing TCP MD5 signature, RFC 2385) or `TcpExt.TCPMinTTLDrop` (a segment under the
 * socket's IP_MINTTL, RFC 5082 GTSM).
 */
import { exec } from './netns.js';

/** Pure: every counter of a `/proc/net/netstat` or `/proc/net/snmp` text as "Group.Name" -> value. */
export function parseNetstat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const head = (lines[i] ?? '').split(/\s+/);
    const vals = (lines[i + 1] ?? '').split(/\s+/);
    const group = (head[0] ?? '').replace(/:$/, '');
    for (let k = 1; k < head.length; k++) out.set(`${group}.${head[k] ?? ''}`, Number(vals[k] ?? 'NaN'));
  }
  return out;
}

/**
 * One counter in `ns`, e.g. `netstatCounter(ns, 'TcpExt.TCPMD5Failure')` or `'Icmp.OutTimeExcds'`;
 * throws when the kernel has no such counter.
 */
export function netstatCounter(ns: string, name: string): number {
  const v = parseNetstat(exec(ns, 'cat', ['/proc/net/netstat', '/proc/net/snmp'])).get(name);
  if (v === undefined) throw new Error(`${ns}: no counter ${name} in /proc/net/netstat or /proc/net/snmp`);
  return v;
}
