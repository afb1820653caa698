/**
 * Golden vectors, both directions: decode(hex) equals `decoded`; encode(decoded) equals hex byte for
 * byte ("exact") or decodes back to `decoded` ("semantic"); the framer yields the same frames for
 * every split of each vector, and of all vectors concatenated into one stream.
 * Re-encoding takes the sender's view of ADD-PATH (path ids where we receive them).
 */
import { describe, expect, it } from 'vitest';
import { MAX_LEN_EXTENDED } from '../../src/codec/constants.js';
import { Framer } from '../../src/codec/framer.js';
import { decodeMessage, encodeMessage, maxMessageLength } from '../../src/codec/message.js';
import { contextOf, fromJsonForm, hexBytes, senderContextOf, toJsonForm } from './json-form.js';
import { loadVectors } from './load.js';

const vectors = loadVectors();

it('finds the hand-built vectors of every message kind', () => {
  const kinds = new Set(vectors.map((v) => v.name.split('/')[0]));
  for (const k of ['keepalive', 'open', 'update', 'notification', 'route-refresh']) expect(kinds).toContain(k);
});

describe.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, { vector, issues }) => {
  it('is a well-formed vector file', () => expect(issues).toEqual([]));
  if (issues.length > 0) return;
  const bytes = hexBytes(vector.hex);
  const ctx = contextOf(vector.ctx);

  it('decodes to the recorded message', () => {
    expect(toJsonForm(decodeMessage(bytes, ctx))).toEqual(vector.decoded);
  });

  if (vector.reencode === 'exact') {
    it('encodes the recorded message back to the same bytes', () => {
      expect(encodeMessage(fromJsonForm(vector.decoded), senderContextOf(vector.ctx)).toString('hex')).toBe(bytes.toString('hex'));
    });
  } else {
    it(`encodes the recorded message to bytes that decode to it (${vector.note ?? ''})`, () => {
      const again = encodeMessage(fromJsonForm(vector.decoded), senderContextOf(vector.ctx));
      expect(toJsonForm(decodeMessage(again, ctx))).toEqual(vector.decoded);
    });
  }

  it('comes out of the framer whole, split at every offset', () => {
    for (let i = 0; i <= bytes.length; i++) {
      const f = new Framer();
      f.setMaxLength(maxMessageLength(ctx));
      const frames = [...f.push(bytes.subarray(0, i)), ...f.push(bytes.subarray(i))];
      expect(frames.length, `split at ${i}`).toBe(1);
      expect(frames[0]?.equals(bytes), `split at ${i}`).toBe(true);
    }
  });
});

it('frames all vectors concatenated into one stream, split at every offset', () => {
  const usable = vectors.filter((v) => v.issues.length === 0);
  const parts = usable.map((v) => hexBytes(v.vector.hex));
  const stream = Buffer.concat(parts);
  const starts: number[] = [];
  let at = 0;
  for (const p of parts) {
    starts.push(at);
    at += p.length;
  }
  for (let i = 0; i <= stream.length; i++) {
    const f = new Framer();
    f.setMaxLength(MAX_LEN_EXTENDED);
    const a = stream.subarray(0, i);
    const b = stream.subarray(i);
    const frames = [...f.push(a), ...f.push(b)];
    if (frames.length !== parts.length) expect.fail(`split at ${i}: ${frames.length} frames, want ${parts.length}`);
    for (let k = 0; k < frames.length; k++) {
      const got = frames[k] ?? Buffer.alloc(0);
      const want = parts[k] ?? Buffer.alloc(0);
      const start = starts[k] ?? 0;
      // A frame lying wholly on one side of the split is a view of the stream: compare its place;
      // the one frame reassembled across the split is compared byte for byte.
      const sameView = got.buffer === stream.buffer && got.byteOffset === stream.byteOffset + start && got.length === want.length;
      if (!sameView && !got.equals(want)) expect.fail(`split at ${i}: frame ${k} differs`);
    }
    if (f.buffered !== 0) expect.fail(`split at ${i}: ${f.buffered} bytes left`);
  }
});
