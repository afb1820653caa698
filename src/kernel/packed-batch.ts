/**
 * A batch of netlink route messages packed in one buffer (NetlinkKernel.write -> netlink-batch.ts):
 * the messages back to back in the order they are sent, three numbers per message (sequence
 * number, offset, length) and a count per unit (the messages of one write: the delete, add and
 * re-add of a route change share a datagram). The encoder writes each message straight into the
 * batch's buffer (rtmsg.ts write*RouteMsg), so a million routes are one growing buffer and two
 * typed arrays, not a Buffer, a message object and a unit object each; the buffer is its own
 * ArrayBuffer (never a slice of Node.js's pool), so it can be transferred to the writer thread
 * without a copy, and a datagram is a view of consecutive messages in it.
 */

/** One encoded netlink message and its sequence number (tests, and packUnits). */
export interface BatchMessage {
  readonly seq: number;
  readonly bytes: Uint8Array;
}

export interface PackedBatch {
  /** The messages, back to back, in unit order. */
  readonly bytes: Uint8Array;
  /** Per message, three numbers: sequence number, offset in `bytes`, length. */
  readonly messages: ArrayLike<number>;
  /** Per unit, how many of the messages (in order) are its own. */
  readonly units: ArrayLike<number>;
}

/** A batch without messages (a new one each time: a batch's buffer may be transferred). */
export const emptyBatch = (): PackedBatch => ({ bytes: new Uint8Array(new ArrayBuffer(0)), messages: [], units: [] });

/** Messages in a batch. */
export const messageCount = (b: PackedBatch): number => b.messages.length / 3;

/** The sequence number of message i. */
export const seqAt = (b: PackedBatch, i: number): number => b.messages[3 * i] as number;

/** Packs units of separately encoded messages (one buffer of its own). */
export function packUnits(units: readonly (readonly BatchMessage[])[]): PackedBatch {
  let total = 0;
  let count = 0;
  for (const u of units) {
    count += u.length;
    for (const m of u) total += m.bytes.length;
  }
  const bytes = new Uint8Array(new ArrayBuffer(total));
  const messages = new Int32Array(3 * count);
  const counts = new Int32Array(units.length);
  let at = 0;
  let i = 0;
  units.forEach((u, n) => {
    counts[n] = u.length;
    for (const m of u) {
      bytes.set(m.bytes, at);
      messages[3 * i] = m.seq;
      messages[3 * i + 1] = at;
      messages[3 * i + 2] = m.bytes.length;
      at += m.bytes.length;
      i++;
    }
  });
  return { bytes, messages, units: counts };
}

/** The units of a batch as separate messages (views of its buffer): for tests and tools. */
export function unpackUnits(b: PackedBatch): BatchMessage[][] {
  const out: BatchMessage[][] = [];
  let m = 0;
  for (let u = 0; u < b.units.length; u++) {
    const unit: BatchMessage[] = [];
    for (let i = 0; i < (b.units[u] as number); i++, m++) {
      const off = b.messages[3 * m + 1] as number;
      unit.push({ seq: b.messages[3 * m] as number, bytes: b.bytes.subarray(off, off + (b.messages[3 * m + 2] as number)) });
    }
    out.push(unit);
  }
  return out;
}

/**
 * Builds a PackedBatch: reserve room for a message, write it at the offset returned (into
 * `buffer`, which may be replaced by the next reserve), then `push` it; `endUnit` closes the
 * messages pushed since the last one into a unit, `abandonUnit` drops them (an encoding that failed
 * half way). Room that is reserved again after an abandon is zeroed first: the writers may leave
 * padding unwritten.
 */
export class PackedBatchBuilder {
  #buf: Buffer;
  #at = 0;
  /** Bytes below this were written once (zeroed again when reserved again). */
  #written = 0;
  #msgs: Int32Array;
  #m = 0;
  #units: Int32Array;
  #u = 0;
  #unitFirst = 0;
  #unitAt = 0;

  /** `messages`: how many messages are expected (room grows past it); `bytesEach`: their usual size. */
  constructor(messages: number, bytesEach = 72) {
    this.#buf = Buffer.from(new ArrayBuffer(Math.max(256, messages * bytesEach)));
    this.#msgs = new Int32Array(Math.max(16, 3 * messages));
    this.#units = new Int32Array(Math.max(8, messages));
  }

  /** Where the messages are written (replaced when reserve grows it). */
  get buffer(): Buffer {
    return this.#buf;
  }

  /** Room for `len` more bytes; returns the offset to write the message at. */
  reserve(len: number): number {
    const at = this.#at;
    if (at + len > this.#buf.length) {
      const grown = Buffer.from(new ArrayBuffer(Math.max(2 * this.#buf.length, at + len)));
      this.#buf.copy(grown, 0, 0, at);
      this.#buf = grown;
      this.#written = at;
    } else if (at < this.#written) {
      this.#buf.fill(0, at, Math.min(at + len, this.#written));
    }
    // Reserved room counts as written: a writer that throws half way leaves bytes there.
    if (at + len > this.#written) this.#written = at + len;
    return at;
  }

  /** The message just written at the offset reserve returned, `len` bytes long. */
  push(seq: number, len: number): void {
    if (3 * this.#m + 3 > this.#msgs.length) this.#msgs = grown(this.#msgs, 3 * this.#m + 3);
    const i = 3 * this.#m++;
    this.#msgs[i] = seq;
    this.#msgs[i + 1] = this.#at;
    this.#msgs[i + 2] = len;
    this.#at += len;
  }

  /** The messages pushed since the last endUnit (or abandonUnit) are one unit. */
  endUnit(): void {
    if (this.#u >= this.#units.length) this.#units = grown(this.#units, this.#u + 1);
    this.#units[this.#u++] = this.#m - this.#unitFirst;
    this.#unitFirst = this.#m;
    this.#unitAt = this.#at;
  }

  /** Forgets the messages pushed since the last endUnit. */
  abandonUnit(): void {
    this.#m = this.#unitFirst;
    this.#at = this.#unitAt;
  }

  get unitCount(): number {
    return this.#u;
  }

  /** The batch (views of the builder's own buffers: build once, then drop the builder). */
  build(): PackedBatch {
    return {
      bytes: new Uint8Array(this.#buf.buffer, 0, this.#at),
      messages: this.#msgs.subarray(0, 3 * this.#m),
      units: this.#units.subarray(0, this.#u),
    };
  }
}

function grown(a: Int32Array, min: number): Int32Array {
  const b = new Int32Array(Math.max(min, 2 * a.length));
  b.set(a);
  return b;
}
