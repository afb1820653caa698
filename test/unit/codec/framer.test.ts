import { describe, expect, it } from 'vitest';
import { Framer } from '../../../src/codec/framer.js';
import { KEEPALIVE_MESSAGE } from '../../../src/codec/message.js';
import { expectBgpError, message, update } from './bytes.js';

const keepalive = (): Buffer => Buffer.from(KEEPALIVE_MESSAGE);
const hexes = (frames: Buffer[]): string[] => frames.map((f) => f.toString('hex'));

// RustyBGP's framer checklist (packet/src/bgp.rs), plus splits at every offset.
describe('Framer', () => {
  it('returns nothing for an empty buffer', () => {
    const f = new Framer();
    expect(f.push(Buffer.alloc(0))).toEqual([]);
    expect(f.buffered).toBe(0);
  });

  it('waits on an incomplete header', () => {
    const f = new Framer();
    expect(f.push(keepalive().subarray(0, 10))).toEqual([]);
    expect(f.buffered).toBe(10);
  });

  it('returns a complete KEEPALIVE', () => {
    const f = new Framer();
    expect(hexes(f.push(keepalive()))).toEqual([keepalive().toString('hex')]);
    expect(f.buffered).toBe(0);
  });

  it('waits on a partial message after a valid header', () => {
    const m = update('', '', '180a0001');
    const f = new Framer();
    expect(f.push(m.subarray(0, 21))).toEqual([]);
    expect(f.buffered).toBe(21);
    expect(hexes(f.push(m.subarray(21)))).toEqual([m.toString('hex')]);
  });

  it('returns two messages from one chunk', () => {
    const a = keepalive();
    const b = update('180a0001', '', '');
    expect(hexes(new Framer().push(Buffer.concat([a, b])))).toEqual([a.toString('hex'), b.toString('hex')]);
  });

  it('returns the whole message and keeps the partial one that follows', () => {
    const a = update('', '', '180a0001');
    const b = keepalive();
    const f = new Framer();
    expect(hexes(f.push(Buffer.concat([a, b.subarray(0, 5)])))).toEqual([a.toString('hex')]);
    expect(f.buffered).toBe(5);
    expect(hexes(f.push(b.subarray(5)))).toEqual([b.toString('hex')]);
  });

  it('rejects a length under 19 as soon as the header is complete', () => {
    const b = keepalive();
    b.writeUInt16BE(18, 16);
    expectBgpError(() => new Framer().push(b), 1, 2, '0012');
  });

  it('rejects a length over the maximum without waiting for the body', () => {
    const b = message(2, Buffer.alloc(4)).subarray(0, 19);
    b.writeUInt16BE(4097, 16);
    expectBgpError(() => new Framer().push(b), 1, 2, '1001');
  });

  it('rejects an unknown type', () => {
    const b = keepalive();
    b.writeUInt8(9, 18);
    expectBgpError(() => new Framer().push(b), 1, 3, '09');
  });

  it('rejects a marker that is not all ones', () => {
    const b = keepalive();
    b.writeUInt8(0, 0);
    expectBgpError(() => new Framer().push(b), 1, 1);
  });

  it('accepts extended lengths only once the extended message capability is negotiated (RFC 8654)', () => {
    const big = message(2, Buffer.concat([Buffer.from([0, 0]), Buffer.from([0, 0]), Buffer.alloc(5000, 0)]));
    expectBgpError(() => new Framer().push(big), 1, 2, big.subarray(16, 18).toString('hex'));
    const f = new Framer();
    f.setMaxLength(65535);
    expect(f.push(big)).toHaveLength(1);
  });

  it('validates a header split across chunks', () => {
    const b = keepalive();
    b.writeUInt16BE(20, 16);
    const f = new Framer();
    expect(f.push(b.subarray(0, 17))).toEqual([]);
    expectBgpError(() => f.push(b.subarray(17)), 1, 2, '0014');
  });

  it('yields the same frames whatever the stream is split into', () => {
    const stream = [keepalive(), update('180a0001', '', ''), update('', '', ''), keepalive(), message(3, '0604')];
    const all = Buffer.concat(stream);
    const want = hexes(stream);
    for (let i = 0; i <= all.length; i++) {
      for (const j of [i, Math.min(all.length, i + 1), Math.min(all.length, i + 23)]) {
        const f = new Framer();
        const got = [...f.push(all.subarray(0, i)), ...f.push(all.subarray(i, j)), ...f.push(all.subarray(j))];
        expect(hexes(got), `split at ${i}/${j}`).toEqual(want);
        expect(f.buffered).toBe(0);
      }
    }
  });

  it('frames a stream fed one byte at a time', () => {
    const stream = Buffer.concat([keepalive(), update('', '', '180a0001'), keepalive()]);
    const f = new Framer();
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...f.push(stream.subarray(i, i + 1)));
    expect(Buffer.concat(got).equals(stream)).toBe(true);
    expect(got).toHaveLength(3);
  });

  it('hands out views of the chunk for whole messages and own buffers for reassembled ones', () => {
    const a = keepalive();
    const chunk = Buffer.concat([a, a]);
    const f = new Framer();
    const [first] = f.push(chunk);
    chunk.writeUInt8(0, 0);
    expect(first?.readUInt8(0)).toBe(0); // a view: it sees the chunk change
    const part1 = Buffer.from(a.subarray(0, 3));
    const part2 = Buffer.from(a.subarray(3));
    f.push(part1);
    const [re] = f.push(part2);
    part1.fill(0);
    part2.fill(0);
    expect(re?.toString('hex')).toBe(keepalive().toString('hex')); // its own copy
  });
});
