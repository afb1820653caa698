#!/usr/bin/env node
/**
 * The `wren` executable (package.json "bin"). Wires the real process into runCli: stdout/stderr,
 * the control socket client, and an on-demand import of the daemon so that `check` and `show`
 * never load it (or the netlink native module it pulls in).
 */
import { request } from '../control/client.js';
import { runCli, type DaemonModule } from './program.js';

const loadDaemon = (): Promise<DaemonModule> => import('../daemon/main.js');

runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  request,
  loadDaemon,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`wren: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
