/**
 * mulberry32: a small, fast, well-distributed 32-bit PRNG returning numbers in [0, 1). Seeded, so a
 * generated table (bench) or a fuzz run (golden mutation tests) is reproducible.
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
