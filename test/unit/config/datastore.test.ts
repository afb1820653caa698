import { describe, expect, it } from 'vitest';
import { parseConfigFileText, validateConfigFile } from '../../../src/config/config-file.js';
import { resolveDatastore, type DatastoreEnvironment } from '../../../src/config/datastore.js';
import { formatIssue } from '../../../src/config/issues.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { DatastoreConfig } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';

/** A datastore file: only datastore, kernel, control, log. */
const FILE = {
  datastore: { etcd: { endpoints: ['https://10.0.0.1:2379'] }, nodeName: 'node-1' },
  kernel: { mode: 'ipip' },
  control: { socket: '/run/wren/wren.sock' },
  log: { level: 'info' },
};

function fileProblems(raw: unknown): string[] {
  const r = validateConfigFile(raw);
  return r.ok ? [] : r.issues.map(formatIssue);
}

function datastoreOf(raw: unknown): DatastoreConfig {
  const r = validateConfigFile(raw);
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
  if (r.value.kind !== 'datastore') throw new Error('expected a datastore file');
  return r.value.datastore;
}

describe('a datastore file (validateConfigFile)', () => {
  it('is complete with only datastore, kernel, control and log', () => {
    const r = validateConfigFile(FILE);
    expect(r.ok && r.value.kind).toBe('datastore');
    expect(datastoreOf(FILE)).toEqual({ etcd: { endpoints: ['https://10.0.0.1:2379'] }, nodeName: 'node-1', register: false, ipam: { claimBlock: false } });
  });

  it('accepts an empty datastore section (everything from the environment) and every key', () => {
    expect(fileProblems({ datastore: {} })).toEqual([]);
    const all = {
      type: 'etcdv3',
      etcd: { endpoints: ['https://10.0.0.1:2379', 'http://[fd00::1]:2379'], caFile: '/etc/calico/ca.pem', certFile: '/etc/calico/cert.pem', keyFile: '/etc/calico/key.pem', username: 'calico', password: 's3cret' },
      nodeName: 'node-1.example.com',
      register: true,
      nodeAddress: '10.0.0.1/24',
      asNumber: 64513,
      ipam: { claimBlock: true },
    };
    expect(datastoreOf({ datastore: all })).toEqual(all);
  });

  it('a file without a datastore section is a complete (static) configuration, as before', () => {
    const r = validateConfigFile({ routerId: '10.0.0.1', asn: 65000 });
    expect(r.ok && r.value.kind).toBe('static');
    expect(fileProblems({ kernel: {} })).toEqual(['$.routerId: required', '$.asn: required']);
  });

  const refused: readonly (readonly [string, unknown, readonly string[]])[] = [
    ['asn', { ...FILE, asn: 65000 }, ['$.asn: not allowed with a datastore section: comes from the datastore']],
    ['routeReflector', { ...FILE, routeReflector: { clusterId: '1.1.1.1' } }, ['$.routeReflector: not allowed with a datastore section: comes from the datastore']],
    ['a derived peer name', { ...FILE, peers: [{ name: 'Mesh_10_0_0_2', address: '10.0.0.9', asn: 65000 }] }, ['$.peers[0].name: names starting with Mesh_, Node_ or Global_']],
    ['a derived policy name', { ...FILE, policies: { 'calico-export': {} } }, ['$.policies["calico-export"]: policy names starting with "calico-"']],
    ['an unknown datastore type', { datastore: { type: 'kubernetes' } }, ['$.datastore.type: expected "etcdv3" (the only datastore wren reads) (got "kubernetes")']],
    ['a bad endpoint', { datastore: { etcd: { endpoints: ['10.0.0.1:2379'] } } }, ['$.datastore.etcd.endpoints[0]: expected an etcd client URL such as "https://10.0.0.1:2379"']],
    ['an endpoint with a path', { datastore: { etcd: { endpoints: ['https://10.0.0.1:2379/v3'] } } }, ['$.datastore.etcd.endpoints[0]: expected an etcd client URL such as "https://10.0.0.1:2379": only scheme, host and port']],
    ['an ftp endpoint', { datastore: { etcd: { endpoints: ['ftp://10.0.0.1:2379'] } } }, ['the scheme must be http or https']],
    ['no endpoints', { datastore: { etcd: { endpoints: [] } } }, ['$.datastore.etcd.endpoints: expected at least one endpoint']],
    ['a relative CA file', { datastore: { etcd: { caFile: 'ca.pem' } } }, ['$.datastore.etcd.caFile: expected an absolute file path (got "ca.pem")']],
    ['a certificate without its key', { datastore: { etcd: { certFile: '/c.pem' } } }, ['$.datastore.etcd.keyFile: a client certificate needs both certFile and keyFile']],
    ['a user without a password', { datastore: { etcd: { username: 'u' } } }, ['$.datastore.etcd.password: etcd authentication needs both username and password']],
    ['a node name with a slash', { datastore: { nodeName: 'a/b' } }, ['$.datastore.nodeName: expected a node name']],
    ['a typo', { datastore: { nodename: 'x' } }, ['$.datastore.nodename: unknown key (did you mean "nodeName"?)']],
    ['register not boolean', { datastore: { register: 'yes' } }, ['$.datastore.register: expected true or false (got "yes")']],
    ['an unknown ipam key', { datastore: { ipam: { claim: true } } }, ['$.datastore.ipam.claim: unknown key']],
  ];
  for (const [what, raw, expected] of refused) {
    it(`refuses ${what}`, () => {
      const got = fileProblems(raw);
      expect(got).toHaveLength(expected.length);
      expected.forEach((e, i) => expect(got[i]).toContain(e));
    });
  }

  it('checks every other section as usual, and still reports every problem at once', () => {
    expect(fileProblems({ ...FILE, kernel: { mode: 'vxlan' }, peers: [{ address: '10.0.0.9' }], asn: 1 })).toEqual([
      '$.asn: not allowed with a datastore section: comes from the datastore (this node\'s Node spec.bgp.asNumber, else the default BGPConfiguration\'s asNumber, else 64512); remove it (got 1)',
      '$.peers[0].asn: required',
      '$.kernel.mode: expected one of "direct", "ipip", "ipip-cross-subnet" (got "vxlan")',
    ]);
  });

  it('allows routerId (an override, like CALICO_ROUTER_ID) and file peers whose relations need our AS', () => {
    // routeReflectorClient needs iBGP: with the AS unknown until the datastore is read, it is not checked here.
    expect(fileProblems({ ...FILE, routerId: '10.0.0.5', peers: [{ address: '10.0.0.9', asn: 65001, routeReflectorClient: true }] })).toEqual([]);
    expect(fileProblems({ ...FILE, routerId: '0.0.0.0' })).toEqual(['$.routerId: must not be 0.0.0.0 (got "0.0.0.0")']);
  });

  it('parseConfigFileText reads both kinds; loadConfig refuses a datastore file with a clear word', () => {
    const r = parseConfigFileText(JSON.stringify(FILE));
    expect(r.ok && r.value.kind).toBe('datastore');
    const old = parseConfigText(JSON.stringify(FILE));
    expect(old.ok ? [] : old.issues.map(formatIssue)[0]).toContain('$.datastore: this file is completed from the datastore');
  });

  it('a complete configuration may carry the datastore section (what deriveConfig produces)', () => {
    const r = validateConfig({ ...FILE, routerId: '10.0.0.1', asn: 64512 });
    expect(r.ok && r.value.datastore?.nodeName).toBe('node-1');
  });
});

describe('resolveDatastore: the file, completed from Calico\'s environment variables', () => {
  const env = (vars: Record<string, string>, files: Record<string, string> = {}, host = 'Host-A'): DatastoreEnvironment => ({
    vars,
    readFile: (p) => files[p],
    hostname: () => host,
  });
  const cfg = (raw: unknown = {}): DatastoreConfig => datastoreOf({ datastore: raw });

  it('takes everything from the environment when the file says nothing', () => {
    const r = resolveDatastore(
      cfg(),
      env({
        DATASTORE_TYPE: 'etcdv3',
        ETCD_ENDPOINTS: 'https://10.0.0.1:2379, https://10.0.0.2:2379,',
        ETCD_CA_CERT_FILE: '/calico-secrets/etcd-ca',
        ETCD_CERT_FILE: '/calico-secrets/etcd-cert',
        ETCD_KEY_FILE: '/calico-secrets/etcd-key',
        ETCD_USERNAME: 'calico',
        ETCD_PASSWORD: 'pw',
        NODENAME: ' node-7 ',
      }),
    );
    expect(r.ok && r.value).toEqual({
      type: 'etcdv3',
      endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'],
      caFile: '/calico-secrets/etcd-ca',
      certFile: '/calico-secrets/etcd-cert',
      keyFile: '/calico-secrets/etcd-key',
      username: 'calico',
      password: 'pw',
      nodeName: 'node-7',
      register: false,
      claimBlock: false,
      sources: {
        endpoints: 'env ETCD_ENDPOINTS',
        type: 'env DATASTORE_TYPE',
        caFile: 'env ETCD_CA_CERT_FILE',
        certFile: 'env ETCD_CERT_FILE',
        keyFile: 'env ETCD_KEY_FILE',
        username: 'env ETCD_USERNAME',
        password: 'env ETCD_PASSWORD',
        nodeName: 'env NODENAME',
        nodeAddress: 'default',
        asNumber: 'default',
      },
    });
  });

  it('the file wins over the environment, key by key', () => {
    const r = resolveDatastore(cfg({ etcd: { endpoints: ['https://e1:2379'], caFile: '/file-ca' }, nodeName: 'from-file' }), env({ ETCD_ENDPOINTS: 'https://e2:2379', ETCD_CA_CERT_FILE: '/env-ca', ETCD_CERT_FILE: '/env-cert', ETCD_KEY_FILE: '/env-key', NODENAME: 'from-env' }));
    expect(r.ok && [r.value.endpoints, r.value.caFile, r.value.certFile, r.value.nodeName]).toEqual([['https://e1:2379'], '/file-ca', '/env-cert', 'from-file']);
  });

  it('CALICO_<NAME> is read before <NAME> (envconfig), even when set empty', () => {
    const r = resolveDatastore(cfg(), env({ CALICO_ETCD_ENDPOINTS: 'https://a:2379', ETCD_ENDPOINTS: 'https://b:2379' }));
    expect(r.ok && r.value.endpoints).toEqual(['https://a:2379']);
    const empty = resolveDatastore(cfg(), env({ CALICO_ETCD_ENDPOINTS: '', ETCD_ENDPOINTS: 'https://b:2379' }));
    expect(empty.ok ? [] : empty.issues.map(formatIssue)).toEqual(['$.datastore.etcd.endpoints: no etcd endpoints: set datastore.etcd.endpoints, or ETCD_ENDPOINTS (comma-separated URLs)']);
  });

  it('finds the node name as calico-node does: NODENAME, the nodename file, HOSTNAME, the host name', () => {
    const e = { ETCD_ENDPOINTS: 'http://e:2379' };
    const name = (vars: Record<string, string>, files: Record<string, string> = {}): string => {
      const r = resolveDatastore(cfg(), env({ ...e, ...vars }, files));
      return r.ok ? `${r.value.nodeName} (${r.value.sources.nodeName})` : r.issues.map(formatIssue).join();
    };
    expect(name({ NODENAME: 'n1', HOSTNAME: 'h' }, { '/var/lib/calico/nodename': 'f' })).toBe('n1 (env NODENAME)');
    expect(name({ HOSTNAME: 'h' }, { '/var/lib/calico/nodename': 'from-file\n' })).toBe('from-file (file /var/lib/calico/nodename)');
    expect(name({ CALICO_NODENAME_FILE: '/tmp/n' }, { '/tmp/n': 'other' })).toBe('other (file /tmp/n)');
    expect(name({ HOSTNAME: ' Node-9 ' })).toBe('node-9 (env HOSTNAME)');
    expect(name({ NODENAME: '  ' })).toBe('host-a (hostname)');
  });

  it('refuses what Calico would not connect with', () => {
    const problems = (raw: unknown, vars: Record<string, string>): string[] => {
      const r = resolveDatastore(cfg(raw), env(vars));
      return r.ok ? [] : r.issues.map(formatIssue);
    };
    expect(problems({}, {})).toEqual(['$.datastore.etcd.endpoints: no etcd endpoints: set datastore.etcd.endpoints, or ETCD_ENDPOINTS (comma-separated URLs)']);
    expect(problems({}, { DATASTORE_TYPE: 'kubernetes', ETCD_ENDPOINTS: 'http://e:2379' })).toEqual(['$.datastore.type: DATASTORE_TYPE is "kubernetes": wren reads only the etcdv3 datastore']);
    expect(problems({}, { ETCD_DISCOVERY_SRV: 'example.com' })).toEqual([
      '$.datastore.etcd.endpoints: ETCD_DISCOVERY_SRV (DNS SRV discovery) is not supported: list the endpoints here or in ETCD_ENDPOINTS',
    ]);
    expect(problems({}, { ETCD_ENDPOINTS: 'e:2379' })[0]).toContain('$.datastore.etcd.endpoints: ETCD_ENDPOINTS: expected an etcd client URL');
    expect(problems({}, { ETCD_ENDPOINTS: 'http://e:2379', ETCD_CERT_FILE: '/c' })[0]).toContain('$.datastore.etcd.keyFile: a client certificate needs both');
    expect(problems({}, { ETCD_ENDPOINTS: 'http://e:2379', ETCD_CA_CERT_FILE: 'ca.pem' })).toEqual(['$.datastore.etcd.caFile: expected an absolute file path (from env ETCD_CA_CERT_FILE) (got "ca.pem")']);
  });

  it('uses the credentials only when both are set (Calico)', () => {
    const r = resolveDatastore(cfg(), env({ ETCD_ENDPOINTS: 'http://e:2379', ETCD_USERNAME: 'u' }));
    expect(r.ok && [r.value.username, r.value.password]).toEqual([undefined, undefined]);
  });

  it('carries register and claimBlock through', () => {
    const r = resolveDatastore(cfg({ register: true, ipam: { claimBlock: true } }), env({ ETCD_ENDPOINTS: 'http://e:2379' }));
    expect(r.ok && [r.value.register, r.value.claimBlock]).toEqual([true, true]);
  });

  it('what register writes: nodeAddress and asNumber from the file, else calico-node\'s IP and AS', () => {
    const e = { ETCD_ENDPOINTS: 'http://e:2379' };
    const fromFile = resolveDatastore(cfg({ register: true, nodeAddress: '10.0.0.5/24', asNumber: 65001 }), env({ ...e, IP: '10.9.9.9', AS: '65009' }));
    expect(fromFile.ok && [fromFile.value.nodeAddress, fromFile.value.asNumber, fromFile.value.sources.nodeAddress]).toEqual(['10.0.0.5/24', 65001, 'file']);
    const fromEnv = resolveDatastore(cfg({ register: true }), env({ ...e, IP: '10.9.9.9', AS: '65009' }));
    expect(fromEnv.ok && [fromEnv.value.nodeAddress, fromEnv.value.asNumber, fromEnv.value.sources.nodeAddress, fromEnv.value.sources.asNumber]).toEqual(['10.9.9.9', 65009, 'env IP', 'env AS']);
    const auto = resolveDatastore(cfg({ register: true }), env({ ...e, IP: 'autodetect' }));
    expect(auto.ok && [auto.value.nodeAddress, auto.value.asNumber]).toEqual([undefined, undefined]);
    const problems = (vars: Record<string, string>): string[] => {
      const r = resolveDatastore(cfg(), env(vars));
      return r.ok ? [] : r.issues.map(formatIssue);
    };
    expect(problems({ ...e, IP: '10.0.0.300', AS: 'x' })).toEqual([
      '$.datastore.nodeAddress: IP: expected this node\'s IPv4 address, with its prefix length ("10.0.0.1/24") or without (then the interface holding it gives the length) (got "10.0.0.300")',
      '$.datastore.asNumber: AS: expected an AS number (1..4294967295) (got "x")',
    ]);
    expect(fileProblems({ datastore: { nodeAddress: 'fd00::1/64' } })[0]).toMatch(/^\$\.datastore\.nodeAddress: expected this node's IPv4 address/);
  });
});
