/**
 * packaging/daemonset.yaml, parsed with `yaml` and checked for what docs/deploy.md promises: host
 * network, exactly NET_ADMIN and NET_BIND_SERVICE, per-node config from the ConfigMap (each entry a
 * valid wren config), etcd settings from the Secret as Calico names them, probes on /livez and
 * /readyz of the metrics port 9179, a grace period above wren's stop bound, calico-node's
 * tolerations, and no dangling references (every mount has its volume, every volume its mount).
 * No cluster needed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validateConfig } from '../../../src/config/validate.js';
import { SHUTDOWN_BOUND_MS } from '../../../src/daemon/shutdown.js';

const FILE = join(import.meta.dirname, '..', '..', '..', 'packaging', 'daemonset.yaml');
const METRICS_PORT = 9179;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at a dotted path (`spec.template.spec`), which must be an object. */
function at(root: unknown, path: string): Obj {
  let v: unknown = root;
  for (const k of path.split('.')) v = isObj(v) ? v[k] : undefined;
  if (!isObj(v)) throw new Error(`${path} is not an object`);
  return v;
}

function list(root: Obj, key: string): Obj[] {
  const v = root[key];
  if (!Array.isArray(v) || !v.every(isObj)) throw new Error(`${key} is not a list of objects`);
  return v;
}

function load(): Obj[] {
  const docs = parseAllDocuments(readFileSync(FILE, 'utf8'));
  for (const d of docs) expect(d.errors, 'YAML errors').toEqual([]);
  return docs.map((d) => d.toJS() as unknown).filter(isObj);
}

const docs = load();
const ofKind = (kind: string): Obj => {
  const d = docs.find((x) => x['kind'] === kind);
  if (!d) throw new Error(`no ${kind} in ${FILE}`);
  return d;
};
const ds = ofKind('DaemonSet');
const pod = at(ds, 'spec.template.spec');
const container = list(pod, 'containers')[0] ?? {};
const env = new Map(list(container, 'env').map((e) => [e['name'], e]));

describe('packaging/daemonset.yaml', () => {
  it('holds a ConfigMap and a DaemonSet in kube-system, and nothing else (no Secret with placeholder data)', () => {
    expect(docs.map((d) => [d['apiVersion'], d['kind']])).toEqual([
      ['v1', 'ConfigMap'],
      ['apps/v1', 'DaemonSet'],
    ]);
    for (const d of docs) expect(at(d, 'metadata')['namespace']).toBe('kube-system');
  });

  it('selects its own pods', () => {
    expect(at(ds, 'spec.selector.matchLabels')).toEqual(at(ds, 'spec.template.metadata.labels'));
  });

  it('runs in the host network namespace with exactly NET_ADMIN and NET_BIND_SERVICE', () => {
    expect(pod['hostNetwork']).toBe(true);
    expect(pod['dnsPolicy']).toBe('ClusterFirstWithHostNet');
    const sc = at(container, 'securityContext');
    expect(at(sc, 'capabilities')).toEqual({ drop: ['ALL'], add: ['NET_ADMIN', 'NET_BIND_SERVICE'] });
    expect(sc['allowPrivilegeEscalation']).toBe(false);
    expect(sc['privileged']).toBeUndefined();
    expect(sc['readOnlyRootFilesystem']).toBe(true);
  });

  it('runs wren with the node its pod is on: --config /etc/wren/nodes/$(NODE_NAME).json from the ConfigMap', () => {
    expect(container['command']).toEqual(['node', '/opt/wren/dist/cli/main.js']);
    expect(container['args']).toEqual(['run', '--config', '/etc/wren/nodes/$(NODE_NAME).json']);
    expect(at(env.get('NODE_NAME'), 'valueFrom.fieldRef')).toEqual({ fieldPath: 'spec.nodeName' });
    const mount = list(container, 'volumeMounts').find((m) => m['mountPath'] === '/etc/wren/nodes');
    const volume = list(pod, 'volumes').find((v) => v['name'] === mount?.['name']);
    expect(at(volume, 'configMap')['name']).toBe(at(ofKind('ConfigMap'), 'metadata')['name']);
  });

  it("has a valid wren config in every ConfigMap entry, each listening for metrics on the probes' port", () => {
    const data = at(ofKind('ConfigMap'), 'data');
    expect(Object.keys(data).length).toBeGreaterThan(0);
    for (const [key, text] of Object.entries(data)) {
      expect(key).toMatch(/^[a-z0-9.-]+\.json$/);
      const raw: unknown = JSON.parse(String(text));
      const r = validateConfig(raw);
      expect(r.ok ? [] : r.issues, key).toEqual([]);
      expect(at(raw, 'metrics')['listen']).toBe(`0.0.0.0:${METRICS_PORT}`);
      if (r.ok) expect(r.value.metrics.listen, key).toEqual({ address: '0.0.0.0', port: METRICS_PORT });
    }
  });

  it('takes the etcd settings from the Secret wren-etcd, named as Calico names them', () => {
    expect(at(env.get('ETCD_ENDPOINTS'), 'valueFrom.secretKeyRef')).toEqual({ name: 'wren-etcd', key: 'etcd_endpoints', optional: true });
    const mount = list(container, 'volumeMounts').find((m) => m['mountPath'] === '/calico-secrets');
    const volume = list(pod, 'volumes').find((v) => v['name'] === mount?.['name']);
    expect(at(volume, 'secret')).toMatchObject({ secretName: 'wren-etcd', optional: true });
    for (const [name, file] of [
      ['ETCD_CA_CERT_FILE', 'etcd-ca'],
      ['ETCD_CERT_FILE', 'etcd-cert'],
      ['ETCD_KEY_FILE', 'etcd-key'],
    ] as const) {
      expect(env.get(name)?.['value']).toBe(`/calico-secrets/${file}`);
    }
  });

  it('probes /livez and /readyz on the metrics port, which it exposes', () => {
    expect(at(container, 'livenessProbe.httpGet')).toEqual({ path: '/livez', port: METRICS_PORT });
    expect(at(container, 'readinessProbe.httpGet')).toEqual({ path: '/readyz', port: METRICS_PORT });
    expect(list(container, 'ports')).toContainEqual({ name: 'metrics', containerPort: METRICS_PORT, hostPort: METRICS_PORT, protocol: 'TCP' });
    expect(at(ds, 'spec.template.metadata.annotations')).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(METRICS_PORT) });
  });

  it('gives a stop more time than wren takes at most, and updates one node at a time', () => {
    expect(pod['terminationGracePeriodSeconds']).toBeGreaterThan(SHUTDOWN_BOUND_MS / 1000);
    expect(at(ds, 'spec.updateStrategy')).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
  });

  it("tolerates every taint as calico-node does, and is node-critical", () => {
    const t = list(pod, 'tolerations');
    expect(t).toContainEqual({ effect: 'NoSchedule', operator: 'Exists' });
    expect(t).toContainEqual({ effect: 'NoExecute', operator: 'Exists' });
    expect(t).toContainEqual({ key: 'CriticalAddonsOnly', operator: 'Exists' });
    expect(pod['priorityClassName']).toBe('system-node-critical');
  });

  it('mounts every volume it declares and declares every volume it mounts', () => {
    const mounts = list(container, 'volumeMounts').map((m) => m['name']);
    const volumes = list(pod, 'volumes').map((v) => v['name']);
    expect([...mounts].sort()).toEqual([...volumes].sort());
    expect(new Set(volumes).size).toBe(volumes.length);
  });
});
