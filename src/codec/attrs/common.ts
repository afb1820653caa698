/**
 * Shared pieces of the path attribute codecs: the mutable draft the decoders fill, the raw input of
 * one attribute, and the AttrError builders that carry the RFC 7606 action.
 */
import { AttrFlag, UpdateSub } from '../constants.js';
import { type AttrAction, AttrError } from '../errors.js';
import type { PathAttrs } from '../types.js';

export type AttrsDraft = { -readonly [K in keyof PathAttrs]: PathAttrs[K] };

/** One attribute as it sits in the UPDATE: flags, type, value, and the whole TLV (for error data). */
export interface AttrInput {
  readonly flags: number;
  readonly type: number;
  readonly value: Buffer;
  readonly raw: Buffer;
}

/** Flags bits RFC 7606 3 c checks against the attribute's definition. */
export const FLAG_CLASS = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
/** Flags kept in RawAttr: Optional, Transitive, Partial (Extended Length is an encoding detail). */
export const FLAG_KEEP = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE | AttrFlag.PARTIAL;

/**
 * RFC 4271 6.3: for most attribute errors "the Data field MUST contain the erroneous attribute
 * (type, length, and value)". The TLV is copied so the error outlives the frame.
 */
export function attrError(a: AttrInput, action: AttrAction, subcode: number, why: string): AttrError {
  return new AttrError(a.type, action, subcode, Buffer.from(a.raw), why);
}

/** An Attribute Length Error unless the value has exactly `len` octets. */
export function expectLength(a: AttrInput, action: AttrAction, name: string, ok: boolean): void {
  if (!ok) throw attrError(a, action, UpdateSub.ATTRIBUTE_LENGTH_ERROR, `${name} with length ${a.value.length}`);
}

export const u32At = (b: Buffer, off: number): number => b.readUInt32BE(off);
