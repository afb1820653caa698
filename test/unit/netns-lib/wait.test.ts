/**
 * waitFor (tools/kit/wait.ts), the polling every netns test waits with. Moved from
 * test/netns/infra.netns.test.ts: it needs no namespace.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../tools/kit/wait.js';

describe('waitFor', () => {
  it('returns the first truthy value of the check', async () => {
    let calls = 0;
    const v = await waitFor(() => (++calls >= 3 ? { calls } : false), { what: 'three calls', intervalMs: 0 });
    expect(v).toEqual({ calls: 3 });
  });

  it('names what it waited for and the last value (or error) when it gives up', async () => {
    await expect(waitFor(() => false, { what: 'the impossible', timeoutMs: 0 })).rejects.toThrow(
      /timed out after 0 ms waiting for the impossible; last value: false/,
    );
    await expect(
      waitFor(
        () => {
          throw new Error('socket missing');
        },
        { what: 'a socket', timeoutMs: 0 },
      ),
    ).rejects.toThrow(/waiting for a socket; last value: Error: socket missing/);
  });
});
