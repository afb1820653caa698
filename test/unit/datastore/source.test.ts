/**
 * The follower (datastore/source.ts) with a fake feed and the real derivation (derive.ts) over
 * Calico resources as Calico stores them (fixtures.ts): nodes "name=ip" with the mesh on.
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';
import { deriveConfig } from '../../../src/datastore/derive.js';
import type { DatastoreFeed, EtcdStatus } from '../../../src/datastore/etcd.js';
import { DatastoreFollower } from '../../../src/datastore/source.js';
import type { DatastoreSnapshot } from '../../../src/datastore/types.js';
import { recordingLog } from '../daemon/fakes.js';
import { bgpConfig, node, raw, snapshot, type Entry } from './fixtures.js';
import { FILE } from './helpers.js';

const NODES = '/calico/resources/v3/projectcalico.org/nodes/';

/** "name=ip" -> a Node with that IPv4 address (/24); "name=" -> a malformed Node (bad JSON). */
function entries(nodes: readonly string[], asNumber = 64512): Entry[] {
  const out: Entry[] = [bgpConfig('default', { asNumber, nodeToNodeMeshEnabled: true })];
  for (const n of nodes) {
    const [name = '', ip = ''] = n.split('=');
    out.push(ip === '' ? raw(`${NODES}${name}`, '{not json') : node(name, { ipv4: `${ip}/24` }));
  }
  return out;
}

class FakeFeed implements DatastoreFeed {
  #snap: DatastoreSnapshot | undefined;
  #listeners: ((s: DatastoreSnapshot) => void)[] = [];
  #first: Promise<DatastoreSnapshot>;
  #resolve: (s: DatastoreSnapshot) => void = () => undefined;
  constructor() {
    this.#first = new Promise((r) => (this.#resolve = r));
  }
  /** Replaces the copy with these nodes and tells the listeners. */
  set(revision: number, nodes: readonly string[], asNumber?: number): void {
    const first = this.#snap === undefined;
    this.#snap = snapshot(entries(nodes, asNumber), revision);
    if (first) this.#resolve(this.#snap);
    for (const l of this.#listeners) l(this.#snap);
  }
  /** Replaces the copy with this snapshot and tells the listeners. */
  put(snap: DatastoreSnapshot): void {
    this.#snap = snap;
    for (const l of this.#listeners) l(snap);
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

function setup(file: Record<string, unknown> = {}): { feed: FakeFeed; follower: DatastoreFollower; applied: Config[]; log: ReturnType<typeof recordingLog> } {
  const feed = new FakeFeed();
  const log = recordingLog();
  const follower = new DatastoreFollower({ feed, nodeName: 'me', fileRaw: () => ({ ...FILE, ...file }), derive: deriveConfig, validate: validateConfig, log: log.log });
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

  it('at start, no Node of this node yet (confd renders nothing) is waited past, logged once', async () => {
    const { feed, follower, log } = setup();
    feed.set(1, ['b=10.0.0.2']);
    const first = follower.initial();
    await new Promise((r) => setImmediate(r));
    expect(follower.status().last).toMatchObject({ result: 'no-node', problems: ['no Node resource named me'] });
    feed.set(2, ['b=10.0.0.2', 'c=10.0.0.3']);
    await new Promise((r) => setImmediate(r));
    expect(log.msgs().filter((m) => m === 'this node has no Node resource in the datastore; keeping the running configuration').length).toBe(1);
    feed.set(3, ['me=10.0.0.1', 'b=10.0.0.2']);
    expect((await first).routerId).toBe('10.0.0.1');
  });

  it('at start, a derived configuration that does not validate is waited past', async () => {
    // A file peer that is an iBGP route reflector client under AS 64512, and eBGP under 65001.
    const { feed, follower, log } = setup({ peers: [{ address: '192.0.2.1', asn: 64512, routeReflectorClient: true }] });
    feed.set(1, ['me=10.0.0.1'], 65001);
    const first = follower.initial();
    await new Promise((r) => setImmediate(r));
    expect(follower.status().last?.result).toBe('invalid');
    expect(log.msgs()).toContain('derived configuration invalid; nothing changed');
    feed.set(2, ['me=10.0.0.1']);
    expect((await first).routerId).toBe('10.0.0.1');
  });

  it('a node that leaves: its session goes; this node\'s own Node deleted: the running configuration is kept', async () => {
    const { feed, follower, applied } = setup();
    feed.set(1, ['me=10.0.0.1', 'b=10.0.0.2', 'c=10.0.0.3']);
    await follower.initial();
    follower.follow(async (c) => {
      applied.push(c);
      return { changes: 1 };
    });
    feed.set(2, ['me=10.0.0.1', 'c=10.0.0.3']);
    await follower.settled();
    expect(applied.map((c) => c.peers.map((p) => p.key))).toEqual([['10.0.0.3']]);
    feed.set(3, ['c=10.0.0.3']);
    await follower.settled();
    expect(applied.length).toBe(1);
    expect(follower.status().last?.result).toBe('no-node');
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
    const { feed, follower, applied, log } = setup({ peers: [{ address: '192.0.2.1', asn: 64512, routeReflectorClient: true }] });
    feed.set(1, ['me=10.0.0.1']);
    await follower.initial();
    follower.follow(async (c) => {
      applied.push(c);
      return { changes: 1 };
    });
    feed.set(2, ['me=10.0.0.1'], 65001); // the cluster's AS changes: the file peer is now eBGP
    await follower.settled();
    expect(applied).toEqual([]);
    expect(follower.status().last).toMatchObject({ revision: 2, result: 'invalid' });
    expect(follower.status().last?.problems?.[0]).toMatch(/^\$\.peers\[0\]\.routeReflectorClient: requires iBGP/);
    expect(log.lines().some((l) => l['msg'] === 'derived configuration invalid; nothing changed' && l['path'] === '$.peers[0].routeReflectorClient')).toBe(true);
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
    expect(follower.status().skipped.map((s) => s.key)).toEqual([`${NODES}bad`]);
    expect(follower.status().skipped[0]?.reason).toMatch(/JSON/);
    expect(log.msgs().filter((m) => m === 'datastore resource skipped').length).toBe(1);
  });

  it('says where each peer came from: confd\'s session name (with its resources) or the file', async () => {
    const { feed, follower } = setup({ peers: [{ address: '192.0.2.1', asn: 65000, import: 'all', export: 'all' }] });
    feed.set(1, ['me=10.0.0.1', 'b=10.0.0.2']);
    const c = await follower.initial();
    expect(c.peers.map((p) => [p.key, follower.sourceOf(p.key)])).toEqual([
      ['10.0.0.2', { source: 'Mesh_10_0_0_2', origin: 'mesh', resources: [`${NODES}b`] }],
      ['192.0.2.1', { source: 'file', origin: 'file', resources: [] }],
    ]);
  });

  it('notes (settings not applied as written) are reported and logged once', async () => {
    const { feed, follower, log } = setup();
    feed.set(1, ['me=10.0.0.1']);
    await follower.initial();
    expect(follower.status().notes).toEqual([]);
    follower.follow(async () => ({ changes: 0 }));
    const withPassword = (revision: number): DatastoreSnapshot =>
      snapshot([node('me', { ipv4: '10.0.0.1/24' }), bgpConfig('default', { nodeMeshPassword: { secretKeyRef: { name: 's', key: 'k' } } })], revision);
    feed.put(withPassword(2));
    await follower.settled();
    feed.put(withPassword(3));
    await follower.settled();
    expect(follower.status().notes.map((n) => n.message)).toEqual([expect.stringMatching(/^spec\.nodeMeshPassword: a Kubernetes Secret/)]);
    expect(log.msgs().filter((m) => m === 'datastore setting not applied as written').length).toBe(1);
  });
});
