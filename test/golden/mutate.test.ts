/**
 * Seeded mutation fuzzing over every golden vector (captured ones included): truncation, extension,
 * byte flips, length fields set to boundary values, attribute flag flips, duplicated and spliced
 * attributes, random attribute type codes, random prefix lengths; decoded under the vector's
 * context and sometimes under another. Each mutant must keep the invariant of invariant.ts.
 *
 *   WREN_FUZZ_COUNT  mutants per run (default 100000)
 *   WREN_FUZZ_SEED   seed (default random; printed on failure)
 *
 * A failing input is printed in crasher format: save it under test/golden/crashers/ with the fix.
 */
import { randomInt } from 'node:crypto';
import { expect, it } from 'vitest';
import { BgpError } from '../../src/codec/errors.js';
import { decodeMessage } from '../../src/codec/message.js';
import type { CodecContext } from '../../src/codec/types.js';
import { ALLOWED_ERRORS, checkFramer, checkInvariant } from './invariant.js';
import { contextOf, hexBytes } from './json-form.js';
import { loadVectors } from './load.js';
import { prng } from '../../src/util/prng.js';
import { type Landmarks, landmarks, mutate } from './mutate.js';

const COUNT = Number(process.env['WREN_FUZZ_COUNT'] ?? 100_000);
const SEED = Number(process.env['WREN_FUZZ_SEED'] ?? randomInt(2 ** 31));

const OTHER_CONTEXTS: readonly CodecContext[] = [
  { as4: false, extendedMessage: false, addPathRx: new Set(), addPathTx: new Set() },
  { as4: true, extendedMessage: true, addPathRx: new Set(['1/1', '2/1']), addPathTx: new Set(['1/1', '2/1']) },
];

it(`keeps the decoder invariant on ${COUNT} mutated messages (seed ${SEED})`, { timeout: 300_000 }, () => {
  const corpus = loadVectors()
    .filter((v) => v.issues.length === 0)
    .map((v) => {
      const bytes = hexBytes(v.vector.hex);
      const ctx = contextOf(v.vector.ctx);
      return { name: v.name, bytes, ctx, marks: landmarks(bytes, ctx) };
    });
  expect(corpus.length).toBeGreaterThan(0);
  const donors = corpus.flatMap((c) => c.marks.attrs.map((a) => c.bytes.subarray(a.start, a.end)));
  const rnd = prng(SEED);
  const outcomes = new Map<string, number>();

  for (let i = 0; i < COUNT; i++) {
    const base = corpus[i % corpus.length];
    if (!base) continue;
    const marks: Landmarks = base.marks;
    const m = mutate(base.bytes, marks, rnd, donors);
    const ctx = rnd() < 0.2 ? (OTHER_CONTEXTS[Math.floor(rnd() * OTHER_CONTEXTS.length)] ?? base.ctx) : base.ctx;
    let res = checkInvariant(m.bytes, ctx);
    if (res.ok && i % 8 === 0) res = checkFramer(m.bytes, ctx, [Math.floor(rnd() * (m.bytes.length + 1))]);
    if (!res.ok) {
      expect.fail(
        [
          `mutant ${i} of ${base.name} broke the invariant (WREN_FUZZ_SEED=${SEED} WREN_FUZZ_COUNT=${i + 1} reproduces it)`,
          `ops: ${m.ops.join(' ')}`,
          `ctx: as4=${ctx.as4} extendedMessage=${ctx.extendedMessage} addPath=${[...ctx.addPathRx].join(',')}`,
          `crasher file content:\n# from the mutation fuzzer, seed ${SEED}, mutant ${i} of ${base.name}\n${m.bytes.toString('hex')}`,
          res.why,
        ].join('\n'),
      );
    }
    const key = outcomeKey(m.bytes, ctx);
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }

  // The fuzzer must reach both sides: plenty of mutants that still decode, and many error kinds.
  expect(outcomes.get('decoded') ?? 0, `outcomes ${JSON.stringify([...outcomes])}`).toBeGreaterThan(COUNT / 20);
  expect([...outcomes.keys()].filter((k) => ALLOWED_ERRORS.has(k)).length, `outcomes ${JSON.stringify([...outcomes])}`).toBeGreaterThanOrEqual(6);
});

function outcomeKey(bytes: Buffer, ctx: CodecContext): string {
  try {
    decodeMessage(bytes, ctx);
    return 'decoded';
  } catch (e) {
    return e instanceof BgpError ? `${e.code}/${e.subcode}` : 'other';
  }
}
