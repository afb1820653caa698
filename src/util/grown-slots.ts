/**
 * Columns by id that grow with the table, grown by doubling rather than one `push` at a time: V8
 * grows an array by half, and each outgrown copy of a million slots stays in its large-object space
 * as garbage until the next full collection (docs/benchmarks.md, "kernel and memory: step 8 of
 * issue 14").
 */

/** A column of references with at least `min` slots and twice the room of `a`, the new slots `empty`. */
export function grownSlots<T, E extends null | undefined>(a: readonly (T | E)[], min: number, empty: E): (T | E)[] {
  const b = new Array<T | E>(Math.max(min, a.length * 2)).fill(empty);
  for (let i = 0; i < a.length; i++) b[i] = a[i] as T | E;
  return b;
}

/** A typed column (Int32Array, Uint32Array) with at least `min` slots and twice the room of `a`, the new slots 0. */
export function grownTyped<T extends Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>>(a: T, min: number): T {
  const b = new (a.constructor as new (n: number) => T)(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}
