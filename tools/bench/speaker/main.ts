#!/usr/bin/env node
/**
 * A bench speaker process (feeder, sink or reflector clients), started by the harness inside a
 * network namespace: `ip netns exec NS node dist-tools/tools/bench/speaker/main.js`. Commands arrive as JSON
 * lines on stdin, events leave as JSON lines on stdout (protocol.ts). It exits when stdin closes,
 * so it never outlives the harness.
 */
import { createInterface } from 'node:readline';
import type { SpeakerCommand, SpeakerEvent } from './protocol.js';
import { startRole, type Role } from './roles.js';

const emit = (e: SpeakerEvent): void => {
  process.stdout.write(`${JSON.stringify(e)}\n`);
};

let role: Role | undefined;

process.on('uncaughtException', (err) => {
  emit({ ev: 'error', message: err.stack ?? String(err) });
  process.exit(1);
});

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.trim() === '') return;
  const cmd = JSON.parse(line) as SpeakerCommand;
  const run = async (): Promise<void> => {
    if (cmd.cmd === 'init') {
      role = await startRole(cmd.init, emit);
    } else if (cmd.cmd === 'close') {
      role?.close();
      emit({ ev: 'closed' });
      setTimeout(() => process.exit(0), 200).unref();
    } else {
      if (!role) throw new Error(`${cmd.cmd} before init`);
      await role.handle(cmd);
    }
  };
  run().catch((err: unknown) => emit({ ev: 'error', message: err instanceof Error ? err.message : String(err) }));
});
rl.on('close', () => {
  role?.close();
  setTimeout(() => process.exit(0), 200).unref();
});
