/** Test helpers for the codec: hex in, messages built field by field, error assertions. */
import { expect } from 'vitest';
import { BgpError } from '../../../src/codec/errors.js';
import type { CodecContext } from '../../../src/codec/types.js';

/** Bytes from hex; spaces, newlines and "|" separators are ignored. */
export function hex(s: string): Buffer {
  const clean = s.replace(/[\s|]/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex: ${s}`);
  return Buffer.from(clean, 'hex');
}

export const MARKER = 'ffffffffffffffffffffffffffffffff';

/** A whole message: marker, length (computed), type, body. */
export function message(type: number, body: string | Buffer): Buffer {
  const b = typeof body === 'string' ? hex(body) : body;
  const head = Buffer.alloc(19, 0xff);
  head.writeUInt16BE(19 + b.length, 16);
  head.writeUInt8(type, 18);
  return Buffer.concat([head, b]);
}

/** UPDATE body from its three parts (lengths computed). */
export function updateBody(withdrawn: string, attrs: string, nlri: string): Buffer {
  const w = hex(withdrawn);
  const a = hex(attrs);
  const len = (n: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n, 0);
    return b;
  };
  return Buffer.concat([len(w.length), w, len(a.length), a, hex(nlri)]);
}

export const update = (withdrawn: string, attrs: string, nlri: string): Buffer => message(2, updateBody(withdrawn, attrs, nlri));

export function ctx(o: Partial<{ as4: boolean; extendedMessage: boolean; addPathRx: string[]; addPathTx: string[] }> = {}): CodecContext {
  return {
    as4: o.as4 ?? true,
    extendedMessage: o.extendedMessage ?? false,
    addPathRx: new Set(o.addPathRx ?? []),
    addPathTx: new Set(o.addPathTx ?? []),
  };
}

/** Runs fn and asserts it throws a BgpError with this code/subcode (and data, when given as hex). */
export function expectBgpError(fn: () => unknown, code: number, subcode: number, data?: string | Buffer): BgpError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a BgpError').toBeInstanceOf(BgpError);
  const err = thrown as BgpError;
  expect([err.code, err.subcode], err.message).toEqual([code, subcode]);
  if (data !== undefined) expect(err.data.toString('hex')).toBe((typeof data === 'string' ? hex(data) : data).toString('hex'));
  return err;
}

export const ORIGIN_IGP = '40 01 01 00';
export const AS_PATH_4 = '40 02 0a 02 02 0000fde9 0000fdea'; // sequence 65001 65002, 4-octet
export const AS_PATH_2 = '40 02 06 02 02 fde9 fdea'; // the same, 2-octet
export const NEXT_HOP = '40 03 04 0a000001';
export const BASIC = ORIGIN_IGP + AS_PATH_4 + NEXT_HOP;
export const BASIC_ATTRS = { origin: 0, asPath: [{ type: 'sequence', asns: [65001, 65002] }], nextHop: '10.0.0.1' };
