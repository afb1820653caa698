/**
 * An etcd client process for labs, tests and the bench (`node dist-tools/tools/etcd-client/main.js
 * --endpoint URL [--ca F --cert F --key F]`), run inside the namespace that reaches etcd: the test
 * or bench process itself sits in the root namespace and cannot. JSON lines on stdin, one answer
 * line per request on stdout (`{"id":1,"ok":true,"result":...}`); tools/daemons/etcd.ts drives it.
 *
 * Requests: put {key,value}; putMany {items:[{key,value}]} (concurrent, 64 at a time); del {key};
 * delPrefix {prefix}; get {prefix} -> [{key,value,modRevision}]; revision -> number;
 * compact {revision}; claim {nodes:[...]} -> one src/datastore/ipam.ts ensureBlock per node, all at
 * once, each with its own client (so 30 nodes claim concurrently against the real etcd).
 */
import { createInterface } from 'node:readline';
import { Etcd3 } from 'etcd3';
import { etcdClientOptions, type EtcdSettings } from '../../src/datastore/etcd.js';
import { ensureBlock } from '../../src/datastore/ipam.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const endpoint = arg('endpoint');
if (endpoint === undefined) throw new Error('--endpoint is required');
const settings: EtcdSettings = {
  endpoints: [endpoint],
  ...(arg('ca') !== undefined ? { caFile: arg('ca') as string } : {}),
  ...(arg('cert') !== undefined ? { certFile: arg('cert') as string } : {}),
  ...(arg('key') !== undefined ? { keyFile: arg('key') as string } : {}),
};
const client = new Etcd3(etcdClientOptions(settings));

interface Request {
  readonly id: number;
  readonly op: string;
  readonly key?: string;
  readonly value?: string;
  readonly prefix?: string;
  readonly items?: readonly { key: string; value: string }[];
  readonly revision?: number;
  readonly nodes?: readonly string[];
}

async function handle(r: Request): Promise<unknown> {
  switch (r.op) {
    case 'put':
      return Number((await client.put(r.key ?? '').value(r.value ?? '').exec()).header.revision);
    case 'putMany': {
      const items = [...(r.items ?? [])];
      let last = 0;
      const worker = async (): Promise<void> => {
        for (let it = items.shift(); it !== undefined; it = items.shift()) {
          last = Math.max(last, Number((await client.put(it.key).value(it.value).exec()).header.revision));
        }
      };
      await Promise.all(Array.from({ length: 64 }, worker));
      return last;
    }
    case 'del':
      return Number((await client.delete().key(r.key ?? '').exec()).header.revision);
    case 'delPrefix':
      return Number((await client.delete().prefix(r.prefix ?? '').exec()).header.revision);
    case 'get': {
      const res = await client.getAll().prefix(r.prefix ?? '').exec();
      return res.kvs.map((kv) => ({ key: kv.key.toString('utf8'), value: kv.value.toString('utf8'), modRevision: Number(kv.mod_revision) }));
    }
    case 'revision':
      return Number((await client.get('/').exec()).header.revision);
    case 'compact': {
      await client.kv.compact({ revision: r.revision ?? 0, physical: true });
      return r.revision;
    }
    case 'claim': {
      const nodes = r.nodes ?? [];
      const clients = nodes.map(() => new Etcd3(etcdClientOptions(settings)));
      try {
        const results = await Promise.all(nodes.map((n, i) => ensureBlock(clients[i] as Etcd3, { nodeName: n })));
        return nodes.map((n, i) => ({ node: n, ...results[i] }));
      } finally {
        for (const c of clients) c.close();
      }
    }
    default:
      throw new Error(`unknown op ${JSON.stringify(r.op)}`);
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let r: Request;
  try {
    r = JSON.parse(line) as Request;
  } catch {
    process.stdout.write(`${JSON.stringify({ id: -1, ok: false, error: 'bad JSON' })}\n`);
    return;
  }
  handle(r).then(
    (result) => process.stdout.write(`${JSON.stringify({ id: r.id, ok: true, result })}\n`),
    (err: unknown) => process.stdout.write(`${JSON.stringify({ id: r.id, ok: false, error: err instanceof Error ? err.message : String(err) })}\n`),
  );
});
lines.on('close', () => {
  client.close();
  process.exit(0);
});
