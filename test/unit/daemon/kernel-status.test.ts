/**
 * `show kernel` plumbing (Speaker.kernelStatus): a route the kernel refuses for good (EINVAL) is
 * listed under `failed` with its errno, op, reason and age, and is not sent again.
 */
import { afterEach, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/validate.js';
import { Speaker } from '../../../src/daemon/speaker.js';
import { FakeKernel } from '../../../src/kernel/fake.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';

const running: Speaker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

it('lists a route the kernel refused (EINVAL) under failed, with its age, and does not resend it', async () => {
  const r = validateConfig({
    log: { level: 'silent' },
    control: { socket: '/tmp/unused.sock' },
    routerId: '10.0.0.1',
    asn: 64512,
    listen: { enabled: false },
    originate: ['172.16.0.0/24'],
    peers: [],
  });
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  const kernel = new FakeKernel();
  kernel.failWhen((op, route) => (op === 'add' && route?.prefix === '172.16.0.0/24' ? 'EINVAL' : undefined));
  const clock = new ManualClock();
  const s = new Speaker({ config: r.value, log: silentLogger, kernel, clock });
  running.push(s);
  await s.start();
  await s.settled();
  clock.advance(5000);
  await s.settled();
  expect(s.kernelStatus()?.failed).toEqual([
    {
      key: '254|172.16.0.0/24|0',
      prefix: '172.16.0.0/24',
      errno: 'EINVAL',
      op: 'add',
      reason: expect.stringContaining('invalid') as string,
      route: 'blackhole 172.16.0.0/24',
      sinceSec: 5,
    },
  ]);
  expect(s.kernelStatus()?.pendingRetries).toEqual([]);
  expect(kernel.calls.filter((c) => c.op === 'add').map((c) => c.result)).toEqual(['EINVAL']);
});
