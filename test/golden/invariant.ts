/**
 * The invariant every input must keep (GoBGP's TestParseMessageWithBadLength, generalized): it
 * decodes, and then re-encodes, decodes again and validates without throwing; or it ends in a
 * BgpError whose (code, subcode) is one the decoder is allowed to produce. Never another exception.
 */
import { BgpError } from '../../src/codec/errors.js';
import { Framer } from '../../src/codec/framer.js';
import { decodeMessage, encodeMessage, maxMessageLength } from '../../src/codec/message.js';
import type { CodecContext } from '../../src/codec/types.js';
import { validateUpdate } from '../../src/codec/validate.js';

/** (code, subcode) pairs the decoder may answer peer input with. */
export const ALLOWED_ERRORS: ReadonlySet<string> = new Set([
  '1/1', // marker (RFC 4271 6.1)
  '1/2', // bad message length
  '1/3', // bad message type
  '2/0', // OPEN structure (optional parameters, capability TLVs)
  '2/4', // unsupported optional parameter
  '3/1', // malformed attribute list (length overruns, duplicate MP attributes, RFC 7606 5.2 framing)
  '3/2', // unrecognized well-known attribute
  '3/4', // attribute flags (RFC 7606 5.2 escalation)
  '3/5', // attribute length (RFC 7606 5.2 escalation)
  '3/6', // invalid ORIGIN (RFC 7606 5.2 escalation)
  '3/9', // optional attribute error (MP_REACH / MP_UNREACH)
  '3/10', // invalid network field
  '3/11', // malformed AS_PATH (RFC 7606 5.2 escalation)
  '7/1', // ROUTE-REFRESH invalid length (RFC 7313 5)
]);

export type Outcome = { readonly ok: true } | { readonly ok: false; readonly why: string };

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e));

/** Checks one frame against the invariant; `ok: false` says why not. */
export function checkInvariant(frame: Buffer, ctx: CodecContext): Outcome {
  let msg;
  try {
    msg = decodeMessage(frame, ctx);
  } catch (e) {
    if (e instanceof BgpError) {
      const key = `${e.code}/${e.subcode}`;
      return ALLOWED_ERRORS.has(key) ? { ok: true } : { ok: false, why: `BgpError ${key} is not allowed (${e.message})` };
    }
    return { ok: false, why: `decodeMessage threw ${describe(e)}` };
  }
  const sender: CodecContext = { ...ctx, addPathTx: ctx.addPathRx };
  let again: Buffer;
  try {
    again = encodeMessage(msg, sender);
  } catch (e) {
    return { ok: false, why: `re-encoding the decoded message threw ${describe(e)}` };
  }
  try {
    decodeMessage(again, ctx);
  } catch (e) {
    return { ok: false, why: `decoding the re-encoded message threw ${describe(e)}` };
  }
  if (msg.kind === 'update') {
    try {
      validateUpdate(msg, { ebgp: true, peerAs: 65001, localAs: 65000 });
      validateUpdate(msg, { ebgp: false, peerAs: 65000, localAs: 65000 });
    } catch (e) {
      return { ok: false, why: `validateUpdate threw ${describe(e)}` };
    }
  }
  return { ok: true };
}

/** Feeds bytes to a Framer in up to three pieces: only BgpError may come out, and the frames must be the input's. */
export function checkFramer(bytes: Buffer, ctx: CodecContext, cuts: readonly number[]): Outcome {
  const f = new Framer();
  f.setMaxLength(maxMessageLength(ctx));
  let at = 0;
  try {
    for (const cut of [...cuts, bytes.length]) {
      for (const frame of f.push(bytes.subarray(at, cut))) {
        if (frame.length < 19) return { ok: false, why: `framer returned a ${frame.length}-byte frame` };
      }
      at = cut;
    }
  } catch (e) {
    if (e instanceof BgpError) return { ok: true };
    return { ok: false, why: `Framer threw ${describe(e)}` };
  }
  return { ok: true };
}
