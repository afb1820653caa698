/**
 * A session's last error in BIRD's words (BIRD 1.6.8 proto/bgp/bgp.c bgp_get_status, bgp_last_errmsg;
 * proto/bgp/packets.c bgp_msg_table): a class (`Socket: `, `Received: `, `BGP Error: `, `Error: `,
 * `Automatic shutdown: `) and a message. It is what `show protocols` prints after the BGP state
 * (`Active        Socket: Connection refused`) and `show protocols all` as `Last error:`. BIRD clears
 * it when the session comes up, and a manual stop has none.
 */
import type { PeerStatus } from '../control/protocol.js';

/** BIRD's NOTIFICATION texts (RFC 4271, 4486, 5492, 6608, 7313; 8/0 is RFC 9687's Send Hold Timer). */
const MESSAGES: Readonly<Record<string, string>> = {
  '1.0': 'Invalid message header',
  '1.1': 'Connection not synchronized',
  '1.2': 'Bad message length',
  '1.3': 'Bad message type',
  '2.0': 'Invalid OPEN message',
  '2.1': 'Unsupported version number',
  '2.2': 'Bad peer AS',
  '2.3': 'Bad BGP identifier',
  '2.4': 'Unsupported optional parameter',
  '2.5': 'Authentication failure',
  '2.6': 'Unacceptable hold time',
  '2.7': 'Required capability missing',
  '2.8': 'No supported AFI/SAFI',
  '3.0': 'Invalid UPDATE message',
  '3.1': 'Malformed attribute list',
  '3.2': 'Unrecognized well-known attribute',
  '3.3': 'Missing mandatory attribute',
  '3.4': 'Invalid attribute flags',
  '3.5': 'Invalid attribute length',
  '3.6': 'Invalid ORIGIN attribute',
  '3.7': 'AS routing loop',
  '3.8': 'Invalid NEXT_HOP attribute',
  '3.9': 'Optional attribute error',
  '3.10': 'Invalid network field',
  '3.11': 'Malformed AS_PATH',
  '4.0': 'Hold timer expired',
  '5.0': 'Finite state machine error',
  '5.1': 'Unexpected message in OpenSent state',
  '5.2': 'Unexpected message in OpenConfirm state',
  '5.3': 'Unexpected message in Established state',
  '6.0': 'Cease',
  '6.1': 'Maximum number of prefixes reached',
  '6.2': 'Administrative shutdown',
  '6.3': 'Peer de-configured',
  '6.4': 'Administrative reset',
  '6.5': 'Connection rejected',
  '6.6': 'Other configuration change',
  '6.7': 'Connection collision resolution',
  '6.8': 'Out of Resources',
  '6.9': 'Hard reset',
  '7.0': 'Invalid ROUTE-REFRESH message',
  '7.1': 'Invalid ROUTE-REFRESH message length',
  '8.0': 'Send hold timer expired',
};

/** bgp_error_dsc: the text of a NOTIFICATION code and subcode. */
export const notificationText = (code: number, subcode: number): string => MESSAGES[`${code}.${subcode}`] ?? `Unknown error ${code}.${subcode}`;

/** strerror() on Linux (glibc) for the errors a BGP connection meets. */
const STRERROR: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  ECONNABORTED: 'Software caused connection abort',
  EHOSTUNREACH: 'No route to host',
  EHOSTDOWN: 'Host is down',
  ENETUNREACH: 'Network is unreachable',
  ENETDOWN: 'Network is down',
  ETIMEDOUT: 'Connection timed out',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EADDRINUSE: 'Address already in use',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EPIPE: 'Broken pipe',
  EINVAL: 'Invalid argument',
  ENOPROTOOPT: 'Protocol not available',
};

export const strerror = (code: string): string => STRERROR[code] ?? code;

/** The last error of a session, `Class: message`, or null (none, up, or stopped by hand). */
export function lastErrorText(p: Pick<PeerStatus, 'state' | 'phase' | 'lastDownReason' | 'lastError'>): string | null {
  if (p.state === 'Established') return null;
  const reason = p.lastDownReason;
  if (reason === undefined) return null;
  const n = p.lastError;
  // Stopped by maxPrefix (Cease / Maximum Number of Prefixes Reached, sent): BIRD's route limit.
  if (p.phase === 'down' && n?.direction === 'sent' && n.code === 6 && n.subcode === 1) return 'Automatic shutdown: Route limit exceeded';
  if (reason.startsWith('connect: ')) return `Socket: ${strerror(reason.slice('connect: '.length))}`;
  if (/^E[A-Z]+$/.test(reason)) return `Socket: ${strerror(reason)}`;
  if (reason.startsWith('connection closed')) return 'Socket: Connection closed';
  if (reason.startsWith('notification received') && n?.direction === 'received') return `Received: ${notificationText(n.code, n.subcode)}`;
  if ((reason.startsWith('notification sent') || reason.startsWith('fsm error')) && n?.direction === 'sent') return `BGP Error: ${notificationText(n.code, n.subcode)}`;
  if (reason === 'hold timer expired') return `BGP Error: ${notificationText(4, 0)}`;
  if (reason.startsWith('send hold timer expired')) return `BGP Error: ${notificationText(8, 0)}`;
  if (reason.startsWith('the peer restarted')) return 'Error: Graceful restart';
  // A stop of ours (operator, shutdown for a restart) and a lost collision are not errors.
  if (reason === 'administratively stopped' || reason.startsWith('stopped for a restart') || reason === 'connection collision') return null;
  return `Error: ${reason}`;
}
