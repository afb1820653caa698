/**
 * The daemon's datastore mode (docs/datastore.md): the etcd layer, registering this node and
 * claiming its block, and the follower that turns the datastore into the configuration the
 * speaker runs. main.ts wires it into the process.
 *
 * At start wren waits for the first snapshot (retrying with backoff while etcd is unreachable,
 * its control socket answering meanwhile) and does NOT start its speaker on the file alone: the
 * kernel routes a previous run left stay untouched while it waits, whereas a speaker started
 * without the datastore's peers would purge them as stale at its first convergence.
 */
import type { DatastoreSettings } from '../config/datastore.js';
import type { Config, Result } from '../config/types.js';
import type { DatastoreStatusView } from '../control/protocol.js';
import { deriveConfig } from '../datastore/derive.js';
import { EtcdDatastore } from '../datastore/etcd.js';
import { ensureBlock } from '../datastore/ipam.js';
import { registerNode } from '../datastore/register.js';
import { DatastoreFollower } from '../datastore/source.js';
import { IPAM_BLOCK_PREFIX, IPAM_HOST_PREFIX, RESOURCES_PREFIX } from '../datastore/types.js';
import type { Logger } from '../util/log.js';
import { readInterfaces } from './local-addresses.js';

/** What the etcd layer reads: the BGP kinds of the v3 resources (not policies or endpoints), the IPAM affinities and blocks. */
export const DATASTORE_PREFIXES: readonly string[] = [
  `${RESOURCES_PREFIX}nodes/`,
  `${RESOURCES_PREFIX}bgpconfigurations/`,
  `${RESOURCES_PREFIX}bgppeers/`,
  `${RESOURCES_PREFIX}bgpfilters/`,
  `${RESOURCES_PREFIX}ippools/`,
  IPAM_HOST_PREFIX,
  IPAM_BLOCK_PREFIX,
];

/** Interfaces Calico's "first-found" address autodetection skips. */
const SKIPPED_INTERFACES = /^(lo|docker|cbr|dummy|virbr|lxcbr|veth|cali|tunl|flannel|kube-ipvs|cni|vxlan|wireguard|wg-|nodelocaldns)/;

/** The node's BGP address as Calico's first-found method picks it: the first IPv4 address of the first usable interface. */
export function firstFoundAddress(): string | undefined {
  for (const i of readInterfaces().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (SKIPPED_INTERFACES.test(i.name)) continue;
    const a = i.v4[0];
    if (a) return a.cidr;
  }
  return undefined;
}

/** An address given without its length ("10.0.0.1", as calico-node's IP may be): the length of the interface holding it, else /32. */
export function withPrefixLength(address: string): string {
  if (address.includes('/')) return address;
  for (const i of readInterfaces()) for (const a of i.v4) if (a.cidr.split('/')[0] === address) return a.cidr;
  return `${address}/32`;
}

export class DatastoreMode {
  readonly settings: DatastoreSettings;
  readonly feed: EtcdDatastore;
  readonly follower: DatastoreFollower;
  readonly #log: Logger;
  #register: string | undefined;
  #claim: string | undefined;
  /** No block yet (no usable pool, every block taken): tried again when the datastore changes. */
  #claimPending = false;
  #claiming = false;

  constructor(o: { settings: DatastoreSettings; fileRaw: () => Readonly<Record<string, unknown>>; validate: (raw: unknown) => Result<Config>; log: Logger }) {
    this.settings = o.settings;
    this.#log = o.log;
    this.feed = new EtcdDatastore({ settings: o.settings, prefixes: DATASTORE_PREFIXES, log: o.log });
    this.follower = new DatastoreFollower({ feed: this.feed, nodeName: o.settings.nodeName, fileRaw: o.fileRaw, derive: deriveConfig, validate: o.validate, log: o.log });
  }

  /** Connects, registers and claims as configured, and returns the first configuration to run. */
  async start(): Promise<Config> {
    this.feed.start();
    await this.feed.firstSnapshot();
    let wrote = false;
    if (this.settings.register) wrote = (await this.#retry('register', () => this.#doRegister())) || wrote;
    if (this.settings.claimBlock) {
      wrote = (await this.#retry('claim', () => this.#doClaim())) || wrote;
      this.feed.onChange(() => void this.#claimAgain());
    }
    if (wrote) await this.#caughtUp();
    return this.follower.initial();
  }

  async close(): Promise<void> {
    await this.feed.close();
  }

  status(nowMs: number): DatastoreStatusView {
    const e = this.feed.status();
    const f = this.follower.status();
    const { other: _other, ...counts } = e.counts;
    return {
      type: 'etcdv3',
      endpoints: e.endpoints,
      nodeName: f.nodeName,
      connected: e.connected,
      sinceSec: Math.max(0, Math.round((nowMs - e.sinceMs) / 1000)),
      synced: e.synced,
      revision: e.revision,
      ...(e.lastError ? { lastError: { message: e.lastError.message, agoSec: Math.max(0, Math.round((nowMs - e.lastError.atMs) / 1000)) } } : {}),
      resyncs: e.resyncs,
      counts,
      skipped: f.skipped,
      notes: f.notes,
      ...(f.last
        ? {
            last: {
              revision: f.last.revision,
              result: f.last.result,
              agoSec: Math.max(0, Math.round((nowMs - f.last.atMs) / 1000)),
              ...(f.last.changes !== undefined ? { changes: f.last.changes } : {}),
              ...(f.last.problems ? { problems: f.last.problems } : {}),
              deriveMs: f.last.deriveMs,
              validateMs: f.last.validateMs,
              applyMs: f.last.applyMs,
            },
          }
        : {}),
      reconfigurations: f.reconfigurations,
      ...(this.#register !== undefined ? { register: this.#register } : {}),
      ...(this.#claim !== undefined ? { claim: this.#claim } : {}),
    };
  }

  async #doRegister(): Promise<boolean> {
    const given = this.settings.nodeAddress;
    const address = given !== undefined ? withPrefixLength(given) : firstFoundAddress();
    if (address === undefined) {
      this.#register = 'not done: no IPv4 address found on any interface (set datastore.nodeAddress)';
      this.#log.error({ node: this.settings.nodeName }, 'cannot register: no IPv4 address found');
      return false;
    }
    const r = await registerNode(this.feed.client, { nodeName: this.settings.nodeName, ipv4Address: address, ...(this.settings.asNumber !== undefined ? { asNumber: this.settings.asNumber } : {}) });
    this.#register = `${r} (${address}${this.settings.asNumber !== undefined ? `, AS ${this.settings.asNumber}` : ''})`;
    this.#log.info({ node: this.settings.nodeName, address, asNumber: this.settings.asNumber, result: r }, 'node registered');
    return r !== 'unchanged';
  }

  /** A pool may have appeared (or a block been freed): claim again, one attempt at a time. */
  async #claimAgain(): Promise<void> {
    if (!this.#claimPending || this.#claiming) return;
    this.#claiming = true;
    try {
      await this.#doClaim();
    } catch (err) {
      this.#log.warn({ err: err instanceof Error ? err.message : String(err) }, 'block claim failed; tried again on the next change');
    } finally {
      this.#claiming = false;
    }
  }

  async #doClaim(): Promise<boolean> {
    const r = await ensureBlock(this.feed.client, { nodeName: this.settings.nodeName });
    this.#claimPending = r.kind === 'none';
    switch (r.kind) {
      case 'existing':
        this.#claim = `${r.block} (already affine to this node)`;
        this.#log.info({ block: r.block }, 'block already affine to this node');
        return false;
      case 'claimed':
        this.#claim = `${r.block} (claimed, ${r.attempts} candidate(s) tried)`;
        this.#log.info({ block: r.block, attempts: r.attempts }, 'block claimed');
        return true;
      case 'none':
        if (this.#claim !== `none: ${r.reason}`) this.#log.warn({ reason: r.reason }, 'no block claimed; trying again when the datastore changes');
        this.#claim = `none: ${r.reason}`;
        return false;
    }
  }

  /** Retries a write while etcd is unreachable (bounded growing delay), logging once. */
  async #retry(what: string, f: () => Promise<boolean>): Promise<boolean> {
    let delay = 200;
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (err) {
        if (attempt === 1) this.#log.warn({ what, err: err instanceof Error ? err.message : String(err) }, 'datastore write failed; retrying');
        if (attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  /** Waits (bounded) until the copy includes our own writes, so the first derivation sees them. */
  async #caughtUp(): Promise<void> {
    const target = Number((await this.feed.client.get(`${RESOURCES_PREFIX}nodes/${this.settings.nodeName}`).exec()).header.revision);
    const end = Date.now() + 5000;
    while ((this.feed.snapshot()?.revision ?? 0) < target && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  }
}
