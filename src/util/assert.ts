/** Exhaustiveness guard for discriminated unions: adding a variant breaks the build where it is not handled. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}

/** Throws when an internal invariant does not hold. Never used for peer input (that is BgpError). */
export function invariant(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`invariant failed: ${what}`);
}
