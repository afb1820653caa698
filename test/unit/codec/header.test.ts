import { describe, expect, it } from 'vitest';
import { checkHeader, writeHeader } from '../../../src/codec/header.js';
import { expectBgpError } from './bytes.js';

function head(len: number, type: number, marker = 0xff): Buffer {
  const b = Buffer.alloc(19, marker);
  b.writeUInt16BE(len, 16);
  b.writeUInt8(type, 18);
  return b;
}

describe('message header checks (RFC 4271 6.1)', () => {
  it('returns the length of a valid header', () => {
    expect(checkHeader(head(19, 4), 0, 4096)).toBe(19);
    expect(checkHeader(head(4096, 2), 0, 4096)).toBe(4096);
    expect(checkHeader(head(65535, 2), 0, 65535)).toBe(65535);
  });

  it('answers a marker that is not all ones with Connection Not Synchronized', () => {
    const b = head(19, 4);
    b.writeUInt8(0xfe, 7);
    expectBgpError(() => checkHeader(b, 0, 4096), 1, 1, '');
  });

  it('answers a length under 19 or over the maximum with Bad Message Length carrying the length', () => {
    expectBgpError(() => checkHeader(head(18, 4), 0, 4096), 1, 2, '0012');
    expectBgpError(() => checkHeader(head(4097, 2), 0, 4096), 1, 2, '1001');
  });

  it('answers an unknown type with Bad Message Type carrying the type', () => {
    expectBgpError(() => checkHeader(head(19, 6), 0, 4096), 1, 3, '06');
    expectBgpError(() => checkHeader(head(19, 0), 0, 4096), 1, 3, '00');
  });

  it('answers lengths wrong for the type with Bad Message Length', () => {
    expectBgpError(() => checkHeader(head(20, 4), 0, 4096), 1, 2, '0014'); // KEEPALIVE != 19
    expectBgpError(() => checkHeader(head(28, 1), 0, 4096), 1, 2, '001c'); // OPEN < 29
    expectBgpError(() => checkHeader(head(22, 2), 0, 4096), 1, 2, '0016'); // UPDATE < 23
    expectBgpError(() => checkHeader(head(20, 3), 0, 4096), 1, 2, '0014'); // NOTIFICATION < 21
  });

  it('keeps OPEN and KEEPALIVE within 4096 octets even with extended messages (RFC 8654 4)', () => {
    expectBgpError(() => checkHeader(head(4097, 1), 0, 65535), 1, 2, '1001');
    expect(checkHeader(head(4097, 3), 0, 65535)).toBe(4097);
  });

  it('writes marker, length and type', () => {
    const b = Buffer.alloc(19);
    expect(writeHeader(b, 0, 19, 4)).toBe(19);
    expect(b.toString('hex')).toBe('ff'.repeat(16) + '001304');
  });
});
