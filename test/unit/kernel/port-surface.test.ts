/**
 * KernelPort holds what the reconciler (kernel/fib-sync.ts) uses and nothing more, plus `close` for
 * the port's owner (daemon/main.ts): a single route is written as a batch of one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { KernelPort } from '../../../src/kernel/port.js';

/** Every method of the port: adding one to KernelPort without listing it here breaks the build. */
const PORT_METHODS: { readonly [K in keyof KernelPort]: true } = {
  write: true,
  list: true,
  lookup: true,
  subscribe: true,
  holdRouteEvents: true,
  close: true,
};

it('every port method but close is used by the reconciler, and the reconciler uses nothing else', () => {
  const text = readFileSync(join(import.meta.dirname, '..', '..', '..', 'src', 'kernel', 'fib-sync.ts'), 'utf8');
  const used = new Set([...text.matchAll(/#port\.(\w+)/g)].map((m) => m[1]));
  expect([...used].sort()).toEqual(Object.keys(PORT_METHODS).filter((m) => m !== 'close').sort());
});
