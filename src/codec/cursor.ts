import { ShortRead } from './errors.js';

/** A bounded read window over a Buffer. Child cursors for each length field keep decoders in bounds. */
export interface Cursor {
  readonly buf: Buffer;
  off: number;
  readonly end: number;
}

export const cursor = (buf: Buffer, off = 0, end = buf.length): Cursor => ({ buf, off, end });
export const remaining = (c: Cursor): number => c.end - c.off;

function need(c: Cursor, n: number): void {
  if (c.off + n > c.end) throw new ShortRead(`need ${n} bytes at ${c.off}, have ${c.end - c.off}`);
}

export function u8(c: Cursor): number {
  need(c, 1);
  return c.buf.readUInt8(c.off++);
}
export function u16(c: Cursor): number {
  need(c, 2);
  const v = c.buf.readUInt16BE(c.off);
  c.off += 2;
  return v;
}
export function u32(c: Cursor): number {
  need(c, 4);
  const v = c.buf.readUInt32BE(c.off);
  c.off += 4;
  return v;
}
/** Carves a bounded child cursor of len bytes and advances the parent past it. */
export function sub(c: Cursor, len: number): Cursor {
  need(c, len);
  const child = { buf: c.buf, off: c.off, end: c.off + len };
  c.off += len;
  return child;
}
/** A view (no copy) of the next len bytes. Copy with keep() before storing beyond the message. */
export function view(c: Cursor, len: number): Buffer {
  need(c, len);
  const v = c.buf.subarray(c.off, c.off + len);
  c.off += len;
  return v;
}
export const rest = (c: Cursor): Buffer => view(c, c.end - c.off);
export const keep = (b: Buffer): Buffer => Buffer.from(b);
