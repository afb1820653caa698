/**
 * The JSON form of a BgpMessage used in golden vectors: the message as plain JSON, with every Buffer
 * written as { "hex": "..." }. Also the vector file format and its context.
 */
import type { BgpMessage, CodecContext } from '../../src/codec/types.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function toJsonForm(value: unknown): Json {
  if (Buffer.isBuffer(value)) return { hex: value.toString('hex') };
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v) => toJsonForm(v));
  if (typeof value === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonForm(v);
    return out;
  }
  throw new TypeError(`no JSON form for ${typeof value}`);
}

const isHexObject = (v: object): v is { hex: string } => {
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === 'hex' && typeof (v as { hex: unknown }).hex === 'string';
};

function revive(value: Json): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value !== null && typeof value === 'object') {
    if (isHexObject(value)) return Buffer.from(value.hex.replace(/\s/g, ''), 'hex');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = revive(v);
    return out;
  }
  return value;
}

/** The message a JSON form stands for (Buffers restored). Not validated: vectors are ours. */
export const fromJsonForm = (json: Json): BgpMessage => revive(json) as BgpMessage;

export interface VectorContext {
  readonly as4: boolean;
  readonly extendedMessage: boolean;
  readonly addPathRx?: readonly string[];
  readonly addPathTx?: readonly string[];
}

export interface Vector {
  readonly rfc: string;
  readonly origin: string;
  readonly ctx: VectorContext;
  readonly hex: string;
  readonly decoded: Json;
  readonly reencode: 'exact' | 'semantic';
  readonly note?: string;
}

export function contextOf(v: VectorContext): CodecContext {
  return { as4: v.as4, extendedMessage: v.extendedMessage, addPathRx: new Set(v.addPathRx ?? []), addPathTx: new Set(v.addPathTx ?? []) };
}

/**
 * The context to re-encode a received vector with: the sender's view, which writes path ids where
 * we receive them (addPathTx := addPathRx).
 */
export function senderContextOf(v: VectorContext): CodecContext {
  return { ...contextOf(v), addPathTx: new Set(v.addPathRx ?? []) };
}

export const hexBytes = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

/** Problems with a parsed vector file, empty when it is well-formed. */
export function vectorIssues(v: unknown): string[] {
  const issues: string[] = [];
  if (typeof v !== 'object' || v === null) return ['not an object'];
  const o = v as Record<string, unknown>;
  for (const k of ['rfc', 'origin', 'hex']) if (typeof o[k] !== 'string') issues.push(`${k} must be a string`);
  const hex = o['hex'];
  if (typeof hex === 'string' && !/^([0-9a-fA-F]{2})*$/.test(hex.replace(/\s/g, ''))) issues.push('hex is not hex');
  if (o['reencode'] !== 'exact' && o['reencode'] !== 'semantic') issues.push('reencode must be "exact" or "semantic"');
  if (o['reencode'] === 'semantic' && typeof o['note'] !== 'string') issues.push('a semantic vector needs a note saying why');
  const c = o['ctx'] as Record<string, unknown> | undefined;
  if (typeof c !== 'object' || c === null || typeof c['as4'] !== 'boolean' || typeof c['extendedMessage'] !== 'boolean') {
    issues.push('ctx needs as4 and extendedMessage booleans');
  }
  if (typeof o['decoded'] !== 'object' || o['decoded'] === null) issues.push('decoded must be an object');
  return issues;
}
