/**
 * The follower (datastore/source.ts) with a fake feed and a test-only derivation: a tiny mesh
 * (every node with an address is a peer), standing in for derive.ts, which the follower only
 * knows by its signature.
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';
import type { DerivedConfig } from '../../../src/datastore/derive.js';
import type { DatastoreFeed, EtcdStatus } from '../../../src/datastore/etcd.js';
import { DatastoreFollower, type DeriveFn } from '../../../src/datastore/source.js';
import type { DatastoreSnapshot, RawResource } from '../../../src/datastore/types.js';
import { recordingLog } from '../daemon/fakes.js';

const NODES = '/calico/resources/v3/projectcalico.org/nodes/';

class FakeFeed implements DatastoreFeed {
  #snap: DatastoreSnapshot | undefined;
  #listeners: ((s: DatastoreSnapshot) => void)[] = [];
  #first: Promise<DatastoreSnapshot>;
  #resolve: (s: DatastoreSnapshot) => void = () => undefined;
  constructor() {
    this.#first = new Promise((r) => (this.#resolve = r));
  }
  /** Replaces the copy with these nodes ("name=ip", ip may be bad) and tells the listeners. */
  set(revision: number, nodes: readonly string[]): void {
    const resources = new Map<string, RawResource>();
    for (const n of nodes) {
      const [name = '', ip = ''] = n.split('=');
      resources.set(`${NODES}${name}`, { key: `${NODES}${name}`, value: JSON.stringify({ ip }), modRevision: revision });
    }
    const first = this.#snap === undefined;
    this.#snap = { revision, resources };
    if (first) this.#resolve(this.#snap);
    for (const l of this.#listeners) l(this.#snap);
  }
  snapshot(): DatastoreSnapshot | undefined {
    return this.#snap;
  }
  firstSnapshot(): Promise<DatastoreSnapshot> {
    return this.#first;
  }
  onChange(l: (s: DatastoreSnapshot) => void): void {
    this.#listeners.push(l);
  }
  status(): EtcdStatus {
    throw new Error('not used');
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** TEST-ONLY stand-in for derive.ts: node "me" gives routerId, every other node a mesh peer; asn as the file says. */
const meshOnly: DeriveFn = (snapshot, nodeName, fileRaw): DerivedConfig => {
  const skipped: { key: string; reason: string }[] = [];
  const nodes = [...snapshot.resources.values()].map((r) => ({ name: r.key.slice(NODES.length), ip: (JSON.parse(r.value) as { ip: string }).ip }));
  const me = nodes.find((n) => n.name === nodeName);
  const file = fileRaw as Record<string, unknown>;
  const peers = nodes.filter((n) => n.name !== nodeName && n.ip !== '').map((n) => ({ address: n.ip, asn: 64512, name: `Mesh_${n.ip.replace(/\./g, '_')}` }));
  for (const n of nodes) if (n.ip === '') skipped.push({ key: `${NODES}${n.name}`, reason: 'no address' });
  return { config: { routerId: me?.ip, asn: 64512, ...file, peers: [...((file['peers'] as unknown[]) ?? []), ...peers] }, skipped };
};

function setup(file: Record<string, unknown> = {}): { feed: FakeFeed; follower: DatastoreFollower; applied: Config[]; log: ReturnType<typeof recordingLog> } {
  const feed = new FakeFeed();
  const log = recordingLog();
  const follower = new DatastoreFollower({ feed, nodeName: 'me', fileRaw: () => file, derive: meshOnly, validate: validateConfig, log: log.log });
  return { feed, follower, applied: [], log };
}

describe('DatastoreFollower', () => {
  it('waits for the first snapshot and returns its derived, validated configuration', async () => {
    const { feed, follower } = setup();
    const first = follower.initial();
    feed.set(5, ['me=10.0.0.1', 'b=10.0.0.2']);
    const c = await first;
    expect(c.routerId).toBe('10.0.0.1');
    expect(c.peers.map((p) => p.key)).toEqual(['10.0.0.2']);
    expect(follower.status().last).toMatchObject({ revision: 5, result: 'initial' });
  });

  it('at start, a derived configuration that does not validate is waited past', async () => {
    const { feed, follower, log } = setup();
    feed.set(1, ['b=10.0.0.2']); // no Node for "me" yet: no routerId
    const first = follower.initial();
    await new Promise((r) => setImmediate(r));
    expect(follower.status().last?.result).toBe('invalid');
    expect(log.msgs()).toContain('derived configuration invalid; nothing changed');
    feed.set(2, ['me=10.0.0.1', 'b=10.0.0.2']);
    expect((await first).routerId).toBe('10.0.0.1');
  });

  it('a node that joins is one apply with one more peer; an identical derivation applies nothing', async () => {
    const { feed, follower, applied } = setup();
    feed.set(1, ['me=10.0.0.1', 'b=10.0.0.2']);
    await follower.initial();
    follower.follow(async (c) => {
      applied.push(c);
      return { changes: 1 };
    });
    feed.set(2, ['me=10.0.0.1', 'b=10.0.0.2', 'c=10.0.0.3']);
    await follower.settled();
    expect(applied.map((c) => c.peers.map((p) => p.key))).toEqual([['10.0.0.2', '10.0.0.3']]);
    feed.set(3, ['me=10.0.0.1', 'b=10.0.0.2', 'c=10.0.0.3']);
    await follower.settled();
    expect(applied.length).toBe(1);
    expect(follower.status()).toMatchObject({ reconfigurations: 1, last: { revision: 3, result: 'unchanged' } });
  });

  it('changes that arrive while one is being applied are applied after it, once, latest first', async () => {
    const { feed, follower, applied } = setup();
    feed.set(1, ['me=10.0.0.1']);
    await follower.initial();
    let release: () => void = () => undefined;
    follower.follow(async (c) => {
      applied.push(c);
      if (applied.length === 1) await new Promise<void>((r) => (release = r));
      return { changes: 1 };
    });
    feed.set(2, ['me=10.0.0.1', 'b=10.0.0.2']);
    await new Promise((r) => setImmediate(r));
    for (let rev = 3; rev < 50; rev++) feed.set(rev, ['me=10.0.0.1', 'b=10.0.0.2', `n=10.0.1.${rev}`]);
    release();
    await follower.settled();
    expect(applied.length).toBe(2);
    expect(applied[1]?.peers.map((p) => p.key)).toEqual(['10.0.0.2', '10.0.1.49']);
  });

  it('a derived configuration that does not validate changes nothing and is logged with its problems', async () => {
    const { feed, follower, applied, log } = setup();
    feed.set(1, ['me=10.0.0.1']);
    await follower.initial();
    follower.follow(async (c) => {
      applied.push(c);
      return { changes: 1 };
    });
    feed.set(2, ['me=10.0.0.1', 'b=10.0.0.300']);
    await follower.settled();
    expect(applied).toEqual([]);
    expect(follower.status().last).toMatchObject({ revision: 2, result: 'invalid' });
    expect(follower.status().last?.problems?.[0]).toMatch(/^\$\.peers\[0\]\.address/);
    expect(log.lines().some((l) => l['msg'] === 'derived configuration invalid; nothing changed' && l['path'] === '$.peers[0].address')).toBe(true);
  });

  it('a refusal by the speaker (AS or router id changed) keeps the running configuration and says why', async () => {
    const { feed, follower } = setup();
    feed.set(1, ['me=10.0.0.1']);
    await follower.initial();
    follower.follow(async () => ({ changes: 0, refused: 'routerId changed: restart wren to apply' }));
    feed.set(2, ['me=10.0.0.9']);
    await follower.settled();
    expect(follower.status().last).toMatchObject({ result: 'refused', problems: ['routerId changed: restart wren to apply'] });
    expect(follower.status().reconfigurations).toBe(0);
  });

  it('skipped resources are reported, each logged once while it stays skipped', async () => {
    const { feed, follower, log } = setup();
    feed.set(1, ['me=10.0.0.1', 'bad=']);
    await follower.initial();
    follower.follow(async () => ({ changes: 0 }));
    feed.set(2, ['me=10.0.0.1', 'bad=', 'b=10.0.0.2']);
    await follower.settled();
    expect(follower.status().skipped).toEqual([{ key: `${NODES}bad`, reason: 'no address' }]);
    expect(log.msgs().filter((m) => m === 'datastore resource skipped').length).toBe(1);
  });

  it('says where each peer came from: the file or the datastore', async () => {
    const { feed, follower } = setup({ peers: [{ address: '192.0.2.1', asn: 65000, import: 'all', export: 'all' }] });
    feed.set(1, ['me=10.0.0.1', 'b=10.0.0.2']);
    const c = await follower.initial();
    expect(c.peers.map((p) => [p.key, follower.sourceOf(p.key)])).toEqual([
      ['192.0.2.1', 'file'],
      ['10.0.0.2', 'datastore'],
    ]);
  });
});
