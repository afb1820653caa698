/**
 * A growable byte writer for encoders that are not on the hot path (OPEN, NOTIFICATION, one UPDATE).
 * Length fields are reserved and patched once the content is known (pg-protocol's BufferWriter idea).
 * The packer (pack.ts) writes straight into preallocated buffers instead.
 */
export class Writer {
  #buf: Buffer;
  #off = 0;

  constructor(initial = 256) {
    this.#buf = Buffer.allocUnsafe(initial);
  }

  get offset(): number {
    return this.#off;
  }

  #ensure(n: number): void {
    if (this.#off + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#off + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#off);
    this.#buf = next;
  }

  u8(v: number): this {
    this.#ensure(1);
    this.#off = this.#buf.writeUInt8(v, this.#off);
    return this;
  }

  u16(v: number): this {
    this.#ensure(2);
    this.#off = this.#buf.writeUInt16BE(v, this.#off);
    return this;
  }

  u32(v: number): this {
    this.#ensure(4);
    this.#off = this.#buf.writeUInt32BE(v >>> 0, this.#off);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#ensure(b.length);
    this.#buf.set(b, this.#off);
    this.#off += b.length;
    return this;
  }

  /** Runs fn(buf, off) -> next offset on at least n free bytes (for the nlri/address writers). */
  with(n: number, fn: (buf: Buffer, off: number) => number): this {
    this.#ensure(n);
    this.#off = fn(this.#buf, this.#off);
    return this;
  }

  /** Reserves n bytes and returns their offset, to patch later. */
  reserve(n: number): number {
    this.#ensure(n);
    const at = this.#off;
    this.#off += n;
    return at;
  }

  patchU8(at: number, v: number): void {
    this.#buf.writeUInt8(v, at);
  }

  patchU16(at: number, v: number): void {
    this.#buf.writeUInt16BE(v, at);
  }

  /** The written bytes, as a view of the internal buffer (the writer must not be used afterwards). */
  finish(): Buffer {
    return this.#buf.subarray(0, this.#off);
  }
}
