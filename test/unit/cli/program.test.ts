import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode, runCli, type CliIo } from '../../../src/cli/program.js';
import { request as realRequest } from '../../../src/control/client.js';
import { ControlError, type ControlRequest, type ControlResponse } from '../../../src/control/protocol.js';
import { startControlServer } from '../../../src/control/server.js';
import { silentLogger } from '../../../src/util/log.js';
import { KERNEL, PEERS, ROUTES } from './fixtures.js';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly requests: { path: string; req: ControlRequest; timeoutMs: number }[];
}

async function cli(argv: string[], answer: (req: ControlRequest) => Promise<ControlResponse> = async () => ({ ok: true, result: [] }), overrides: Partial<CliIo> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const requests: Run['requests'] = [];
  const code = await runCli(argv, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    request: (path, req, timeoutMs) => {
      requests.push({ path, req, timeoutMs });
      return answer(req);
    },
    loadDaemon: () => Promise.reject(new Error('the daemon must not be loaded')),
    ...overrides,
  });
  return { code, out, err, requests };
}

const ok = (result: unknown) => async (): Promise<ControlResponse> => ({ ok: true, result });

describe('wren check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wren-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('prints a summary and exits 0 for a valid config', async () => {
    const path = file('ok.json', JSON.stringify({ routerId: '10.0.0.1', asn: 65000, originate: ['172.16.0.0/24'], peers: [{ address: '10.0.0.2', asn: 65000 }] }));
    const r = await cli(['check', '--config', path]);
    expect(r).toMatchObject({ code: ExitCode.OK, out: 'config OK: 1 peers, 1 originated prefixes\n', err: '' });
  });

  it('prints every problem on its own line and exits 1', async () => {
    const path = file('bad.json', JSON.stringify({ routerId: '10.0.0.1', asn: 65000, peers: [{ address: '10.0.0.2', asn: 65000 }, { address: '10.0.0.3', asn: '65001' }], typo: 1 }));
    const r = await cli(['check', '-c', path]);
    expect(r.code).toBe(ExitCode.PROBLEM);
    expect(r.out).toBe('$.typo: unknown key\n$.peers[1].asn: expected an integer 1..4294967295 (got "65001")\n');
    expect(r.err).toBe(`wren: 2 problems in ${path}\n`);
  });

  it('reports a missing file as a problem', async () => {
    const r = await cli(['check', '--config', join(dir, 'nope.json')]);
    expect(r.code).toBe(ExitCode.PROBLEM);
    expect(r.out).toBe(`$: cannot read ${join(dir, 'nope.json')}: ENOENT\n`);
  });

  it('checks the shipped config.example.json', async () => {
    const r = await cli(['check', '--config', join(import.meta.dirname, '..', '..', '..', 'config.example.json')]);
    expect(r).toMatchObject({ code: ExitCode.OK, out: 'config OK: 4 peers, 2 originated prefixes\n' });
  });

  it('checks a datastore file without reaching the datastore, completing it from the environment', async () => {
    const path = file('ds.json', JSON.stringify({ datastore: { nodeName: 'node-1' }, kernel: { mode: 'ipip' }, log: { level: 'info' } }));
    const environment = (vars: Record<string, string>) => ({ datastoreEnvironment: { vars, readFile: () => undefined, hostname: () => 'h' } });
    const r = await cli(['check', '--config', path], undefined, environment({ ETCD_ENDPOINTS: 'https://10.0.0.1:2379' }));
    expect(r).toMatchObject({
      code: ExitCode.OK,
      out: 'config OK (datastore): node node-1 (from file), etcd https://10.0.0.1:2379 (from env ETCD_ENDPOINTS); router id, AS, peers and blocks come from the datastore; 0 peers from the file\n',
    });
    const missing = await cli(['check', '--config', path], undefined, environment({}));
    expect(missing.code).toBe(ExitCode.PROBLEM);
    expect(missing.out).toBe('$.datastore.etcd.endpoints: no etcd endpoints: set datastore.etcd.endpoints, or ETCD_ENDPOINTS (comma-separated URLs) (with this environment)\n');
  });

  it('refuses what a datastore file may not say', async () => {
    const path = file('ds-asn.json', JSON.stringify({ datastore: { etcd: { endpoints: ['http://e:2379'] } }, asn: 65000 }));
    const r = await cli(['check', '--config', path]);
    expect(r.code).toBe(ExitCode.PROBLEM);
    expect(r.out).toContain('$.asn: not allowed with a datastore section');
  });

  it('is a usage error without --config', async () => {
    const r = await cli(['check']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.err).toContain("required option '-c, --config <file>' not specified");
  });
});

describe('wren run', () => {
  it('loads the daemon on demand and exits with its code', async () => {
    const calls: string[] = [];
    const r = await cli(['run', '--config', '/etc/wren/wren.json'], undefined, {
      loadDaemon: async () => ({
        runDaemon: async (opts: { configPath: string }) => {
          calls.push(opts.configPath);
          return 7;
        },
      }),
    });
    expect(calls).toEqual(['/etc/wren/wren.json']);
    expect(r.code).toBe(7);
  });
});

describe('wren show', () => {
  it('asks the default socket for the peers and prints the table', async () => {
    const r = await cli(['show', 'peers'], ok(PEERS));
    expect(r.requests).toEqual([{ path: '/run/wren/wren.sock', req: { cmd: 'show-peers' }, timeoutMs: 5000 }]);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.out.split('\n')[0]).toBe('Peer          AS     State        Up/Down  Router ID     Rcv/Acc/Adv  Name');
  });

  it('prints the answer as JSON with --json', async () => {
    const r = await cli(['show', 'peers', '--json'], ok(PEERS));
    expect(JSON.parse(r.out)).toEqual(PEERS);
  });

  it('passes the prefix, the socket and the timeout of show routes', async () => {
    const r = await cli(['show', 'routes', '172.16.1.0/24', '--socket', '/tmp/w.sock', '--timeout', '100'], ok(ROUTES));
    expect(r.requests).toEqual([{ path: '/tmp/w.sock', req: { cmd: 'show-routes', prefix: '172.16.1.0/24' }, timeoutMs: 100 }]);
    expect(r.out).toContain('*   172.16.1.0/24  192.168.1.1');
  });

  it('asks for every route when no prefix is given', async () => {
    const r = await cli(['show', 'routes'], ok([]));
    expect(r.requests[0]?.req).toEqual({ cmd: 'show-routes' });
    expect(r.out).toBe('no routes\n');
  });

  it('prints the kernel state, and says when kernel programming is off', async () => {
    expect((await cli(['show', 'kernel'], ok(KERNEL))).out.split('\n')[0]).toBe('protocol         12 (bird)');
    expect((await cli(['show', 'kernel'], ok(null))).out).toBe('kernel programming is disabled (kernel.enabled is false)\n');
  });

  it('exits 3 with the client message when the daemon cannot be reached', async () => {
    const message = 'cannot reach wren at /run/wren/wren.sock: ENOENT — is `wren run` running?';
    const r = await cli(['show', 'peers'], () => Promise.reject(new ControlError('EUNREACHABLE', message)));
    expect(r).toMatchObject({ code: ExitCode.UNREACHABLE, out: '', err: `wren: ${message}\n` });
  });

  it('exits 1 when the daemon answers with an error', async () => {
    const r = await cli(['show', 'routes', 'x'], async () => ({ ok: false, error: { code: 'EBADREQ', message: 'bad prefix' } }));
    expect(r).toMatchObject({ code: ExitCode.PROBLEM, err: 'wren: EBADREQ: bad prefix\n' });
  });

  it('exits 1 on an answer of the wrong shape, pointing at --json', async () => {
    const r = await cli(['show', 'peers'], ok({ not: 'a list' }));
    expect(r).toMatchObject({ code: ExitCode.PROBLEM, err: 'wren: unexpected answer to show-peers; try --json\n' });
  });

  it('is a usage error with a bad --timeout', async () => {
    expect((await cli(['show', 'peers', '--timeout', '0'])).code).toBe(ExitCode.USAGE);
  });

  it('talks to a real control server through the real client', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wren-show-'));
    const path = join(dir, 'wren.sock');
    const server = await startControlServer(path, (req) => (req.cmd === 'show-peers' ? PEERS : null), silentLogger);
    try {
      const r = await cli(['show', 'peers', '--json', '--socket', path], undefined, { request: realRequest });
      expect(r.code).toBe(ExitCode.OK);
      expect(JSON.parse(r.out)).toEqual(PEERS);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('wren usage', () => {
  it('exits 2 on an unknown command', async () => {
    const r = await cli(['frobnicate']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.err).toContain("unknown command 'frobnicate'");
  });

  it('exits 0 after --help and --version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(ExitCode.OK);
    expect(help.out).toContain('Usage: wren');
    const version = await cli(['--version']);
    expect(version).toMatchObject({ code: ExitCode.OK, out: '0.1.0\n' });
  });

  it('is a usage error to say show without what', async () => {
    expect((await cli(['show'])).code).toBe(ExitCode.USAGE);
  });
});

describe('wren stop', () => {
  it('asks the daemon to stop keeping routes, then waits until it is gone', async () => {
    let asked = 0;
    const r = await cli(['stop'], async (req) => {
      asked++;
      if (req.cmd === 'stop') return { ok: true, result: { stopping: true, withdraw: false } };
      if (asked >= 3) throw new ControlError('EUNREACHABLE', 'gone');
      return { ok: true, result: [] };
    });
    expect(r.code).toBe(ExitCode.OK);
    expect(r.requests[0]?.req).toEqual({ cmd: 'stop' });
    expect(r.out).toBe('wren stopping: routes kept for a graceful restart\nwren stopped\n');
  });

  it('--withdraw and -m go in the request', async () => {
    const r = await cli(['stop', '--withdraw', '-m', 'node drained'], async (req) => {
      if (req.cmd === 'stop') return { ok: true, result: { stopping: true, withdraw: true } };
      throw new ControlError('EUNREACHABLE', 'gone');
    });
    expect(r.requests[0]?.req).toEqual({ cmd: 'stop', withdraw: true, message: 'node drained' });
    expect(r.out).toBe('wren stopping: withdrawing routes\nwren stopped\n');
  });

  it('exits 3 when no daemon answers', async () => {
    const r = await cli(['stop'], async () => {
      throw new ControlError('EUNREACHABLE', 'no daemon');
    });
    expect(r.code).toBe(ExitCode.UNREACHABLE);
  });
});
