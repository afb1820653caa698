/** A protocol as BIRD's `show protocols` shows it: what the formatters print (format-protocols.ts). */

/** BIRD 1.6's protocol states (nest/proto.c proto_state_name) that wren uses. */
export type ProtoState = 'up' | 'start' | 'down' | 'wait';

export interface BirdProtocol {
  readonly name: string;
  readonly proto: 'BGP' | 'Kernel' | 'Static';
  /** BIRD 1.6's routing table: always `master`. */
  readonly table: string;
  readonly state: ProtoState;
  /** Wall-clock milliseconds of the last state change. */
  readonly sinceMs: number;
  /** The info column: for BGP the state word padded to 14 and the last error. */
  readonly info: string;
  /** The `show protocols all` block (code 1006), without the empty line that ends it. */
  readonly details: readonly string[];
}
