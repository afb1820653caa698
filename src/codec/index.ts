/**
 * codec: the BGP wire format. Bytes <-> typed messages; no I/O, no state (except the Framer's
 * partial message), no timers. Implements RFC 4271 (messages, errors), RFC 5492 / RFC 9072 (OPEN
 * optional parameters), RFC 4760 + RFC 2545 + RFC 8950 (multiprotocol NLRI and next hops), RFC 6793
 * (4-octet AS), RFC 1997 / RFC 4360 / RFC 8092 (communities), RFC 4456 (reflection attributes),
 * RFC 7911 (ADD-PATH), RFC 4724 + RFC 8538 (graceful restart capability), RFC 8654 (extended
 * messages), RFC 2918 + RFC 7313 (route refresh), RFC 9003 (shutdown communication) and RFC 7606
 * (UPDATE error handling). docs/rfc-compliance.md lists sections, tests and deliberate departures.
 *
 * Entry points: Framer (framer.ts), decodeMessage / encodeMessage / KEEPALIVE_MESSAGE (message.ts),
 * encodeUpdates / encodePathAttrs (pack.ts), validateUpdate (validate.ts), reconcileAs4 /
 * downgradeAs4 (attrs/as-path.ts), endOfRib / endOfRibFamily (end-of-rib.ts).
 */
export * from './constants.js';
export * from './errors.js';
export * from './types.js';
export { Framer } from './framer.js';
export { decodeMessage, encodeMessage, KEEPALIVE_MESSAGE, maxMessageLength } from './message.js';
export { encodeUpdates, encodePathAttrs, type UpdateBatch } from './pack.js';
export { validateUpdate, type PeerFacts } from './validate.js';
export { reconcileAs4, downgradeAs4, asPathLength } from './attrs/as-path.js';
export { endOfRib, endOfRibFamily } from './end-of-rib.js';
export { shutdownNotification } from './notification.js';
