import { describe, expect, it } from 'vitest';
import { Writer } from '../../../src/codec/writer.js';

describe('Writer', () => {
  it('writes big-endian integers and bytes, growing as needed', () => {
    const w = new Writer(2);
    w.u8(1).u16(0x0203).u32(0x04050607).bytes(Buffer.from([8, 9]));
    expect(w.finish().toString('hex')).toBe('010203040506070809');
  });

  it('patches reserved length fields', () => {
    const w = new Writer(1);
    const at = w.reserve(2);
    w.bytes(Buffer.alloc(300, 1));
    w.patchU16(at, 300);
    const out = w.finish();
    expect(out.readUInt16BE(0)).toBe(300);
    expect(out.length).toBe(302);
  });
});
