/**
 * TCP byte stream -> whole BGP messages (RFC 4271 4.1). Split-proof: any chunking of the stream
 * yields the same frames. The header is validated as soon as its 19 bytes are there (checkHeader:
 * marker, length bounds, type, length for the type), so a bad length never stalls the session
 * waiting for a body that will not come.
 *
 * Returned frames are views: of the pushed chunk when the whole message lies inside it, else of a
 * buffer the framer allocated for that message. A view keeps its whole chunk alive, so callers must
 * copy anything they keep beyond handling the frame (decodeMessage already copies what it returns).
 * The framer holds at most one partial message: up to 18 header bytes, or one buffer of exactly the
 * announced length, filled as bytes arrive (no re-concatenation, so a 65535-byte message fed one byte
 * at a time costs O(n)).
 *
 * After push() throws a BgpError the framer's state is unspecified: the session sends the
 * NOTIFICATION and closes the connection.
 */
import { HEADER_LEN, MAX_LEN } from './constants.js';
import { checkHeader } from './header.js';

export class Framer {
  #maxLen: number = MAX_LEN;
  /** Header bytes of a message whose header is still incomplete. */
  readonly #head = Buffer.alloc(HEADER_LEN);
  #headFill = 0;
  /** A message whose header was validated and whose body is still incomplete. */
  #msg: Buffer | null = null;
  #msgFill = 0;

  /** RFC 8654: 65535 once both sides sent the extended message capability, else 4096. */
  setMaxLength(n: number): void {
    this.#maxLen = n;
  }

  /** Bytes held for the next message. */
  get buffered(): number {
    return this.#msg ? this.#msgFill : this.#headFill;
  }

  /** Feeds a chunk; returns every message completed by it, in order. Throws BgpError on a bad header. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let off = 0;

    if (this.#headFill > 0) {
      const take = Math.min(HEADER_LEN - this.#headFill, chunk.length);
      chunk.copy(this.#head, this.#headFill, 0, take);
      this.#headFill += take;
      off = take;
      if (this.#headFill < HEADER_LEN) return out;
      const len = checkHeader(this.#head, 0, this.#maxLen);
      this.#headFill = 0;
      this.#msg = Buffer.allocUnsafe(len);
      this.#head.copy(this.#msg, 0);
      this.#msgFill = HEADER_LEN;
    }

    if (this.#msg) {
      const msg = this.#msg;
      const take = Math.min(msg.length - this.#msgFill, chunk.length - off);
      chunk.copy(msg, this.#msgFill, off, off + take);
      this.#msgFill += take;
      off += take;
      if (this.#msgFill < msg.length) return out;
      out.push(msg);
      this.#msg = null;
      this.#msgFill = 0;
    }

    // Whole messages inside the chunk are handed out as views, without copying.
    while (chunk.length - off >= HEADER_LEN) {
      const len = checkHeader(chunk, off, this.#maxLen);
      if (chunk.length - off < len) {
        const msg = Buffer.allocUnsafe(len);
        this.#msgFill = chunk.copy(msg, 0, off);
        this.#msg = msg;
        return out;
      }
      out.push(chunk.subarray(off, off + len));
      off += len;
    }
    if (off < chunk.length) this.#headFill = chunk.copy(this.#head, 0, off);
    return out;
  }
}
