/**
 * What a peer counts for operators (docs/metrics.md): messages sent and received by type,
 * NOTIFICATIONs by direction, code and subcode, and flaps (an Established session that went down).
 * Plain counters since wren started, kept by the peer driver (session/peer.ts) and read through
 * `view()`; nothing here knows how they are exported.
 *
 * NOTIFICATION codes and subcodes come from the wire, so a peer could send thousands of distinct
 * pairs: at most NOTIFICATION_KEYS distinct (direction, code, subcode) entries are kept per peer,
 * and any further pair is counted under its direction alone (`other`).
 */
import type { BgpMessage } from '../codec/types.js';

export type MessageType = BgpMessage['kind'];

/** Every BGP message type, in wire order (RFC 4271 4.1, RFC 2918). */
export const MESSAGE_TYPES: readonly MessageType[] = ['open', 'update', 'notification', 'keepalive', 'route-refresh'];

export type MessageCounts = Readonly<Record<MessageType, number>>;

export type NotificationDirection = 'sent' | 'received';

export interface NotificationCount {
  readonly direction: NotificationDirection;
  readonly code: number;
  readonly subcode: number;
  readonly count: number;
}

export interface PeerCountersView {
  /** Times an Established session of this peer went down. */
  readonly flaps: number;
  readonly messagesReceived: MessageCounts;
  readonly messagesSent: MessageCounts;
  readonly notifications: readonly NotificationCount[];
  /** NOTIFICATIONs beyond the NOTIFICATION_KEYS distinct pairs, per direction. */
  readonly otherNotifications: Readonly<Record<NotificationDirection, number>>;
}

/** Distinct (direction, code, subcode) entries kept per peer. */
export const NOTIFICATION_KEYS = 32;

const zeroCounts = (): Record<MessageType, number> => ({ open: 0, update: 0, notification: 0, keepalive: 0, 'route-refresh': 0 });

export class PeerCounters {
  #flaps = 0;
  readonly #received = zeroCounts();
  readonly #sent = zeroCounts();
  /** Key: direction/code/subcode. */
  readonly #notifications = new Map<string, { direction: NotificationDirection; code: number; subcode: number; count: number }>();
  readonly #other: Record<NotificationDirection, number> = { sent: 0, received: 0 };

  received(type: MessageType): void {
    this.#received[type]++;
  }

  sent(type: MessageType, n = 1): void {
    this.#sent[type] += n;
  }

  notification(direction: NotificationDirection, code: number, subcode: number): void {
    const key = `${direction}/${code}/${subcode}`;
    const n = this.#notifications.get(key);
    if (n !== undefined) n.count++;
    else if (this.#notifications.size < NOTIFICATION_KEYS) this.#notifications.set(key, { direction, code, subcode, count: 1 });
    else this.#other[direction]++;
  }

  flap(): void {
    this.#flaps++;
  }

  view(): PeerCountersView {
    return {
      flaps: this.#flaps,
      messagesReceived: { ...this.#received },
      messagesSent: { ...this.#sent },
      notifications: [...this.#notifications.values()].map((n) => ({ ...n })),
      otherNotifications: { ...this.#other },
    };
  }
}
