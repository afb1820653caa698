/**
 * The feeder's wire bytes, encoded before the clock starts with wren's codec (`encodeUpdates`): one
 * call per attribute set for the announcements, one call for all withdrawals (packed into full
 * 4096-octet UPDATEs). Messages are concatenated into large chunks so that sending is only
 * `socket.write`.
 */
import { encodeUpdates } from '../../src/codec/pack.js';
import type { CodecContext } from '../../src/codec/types.js';
import type { RouteGroup } from './table.js';

/** Concatenated messages, in chunks of about chunkBytes. */
export interface WireFeed {
  readonly chunks: readonly Buffer[];
  readonly messages: number;
  readonly bytes: number;
  readonly prefixes: number;
}

const CHUNK = 1 << 20;

function chunked(messages: readonly Buffer[], prefixes: number, chunkBytes: number): WireFeed {
  const chunks: Buffer[] = [];
  let batch: Buffer[] = [];
  let size = 0;
  let bytes = 0;
  for (const m of messages) {
    batch.push(m);
    size += m.length;
    bytes += m.length;
    if (size >= chunkBytes) {
      chunks.push(Buffer.concat(batch, size));
      batch = [];
      size = 0;
    }
  }
  if (size > 0) chunks.push(Buffer.concat(batch, size));
  return { chunks, messages: messages.length, bytes, prefixes };
}

/** UPDATEs announcing every group (one or more UPDATEs per attribute set). */
export function encodeAnnouncements(groups: readonly RouteGroup[], ctx: CodecContext, chunkBytes = CHUNK): WireFeed {
  const out: Buffer[] = [];
  let prefixes = 0;
  for (const g of groups) {
    for (const m of encodeUpdates({ nlri: g.prefixes, attrs: g.attrs }, ctx)) out.push(m);
    prefixes += g.prefixes.length;
  }
  return chunked(out, prefixes, chunkBytes);
}

/** UPDATEs withdrawing every prefix of every group. */
export function encodeWithdrawals(groups: readonly RouteGroup[], ctx: CodecContext, chunkBytes = CHUNK): WireFeed {
  const all = groups.flatMap((g) => g.prefixes);
  return chunked(encodeUpdates({ withdrawn: all }, ctx), all.length, chunkBytes);
}
