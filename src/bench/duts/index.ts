/** Starting any DUT by kind, and which binaries each needs. */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { BenchLab } from '../netns.js';
import { startBird } from './bird.js';
import { startFrr } from './frr.js';
import { startGobgp } from './gobgp.js';
import { startWren, WREN_CLI } from './wren.js';
import type { Dut, DutKind, DutSpec } from './types.js';

export { DUT_KINDS, type Dut, type DutKind, type DutSpec, type DutNeighbor } from './types.js';

export function startDut(lab: BenchLab, kind: DutKind, spec: DutSpec): Promise<Dut> {
  switch (kind) {
    case 'wren':
      return startWren(lab, spec);
    case 'bird':
      return startBird(lab, spec);
    case 'frr':
      return startFrr(lab, spec);
    case 'gobgp':
      return startGobgp(lab, spec);
  }
}

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Why `kind` cannot run here (a missing binary and the Debian package that has it), or null. */
export function dutProblem(kind: DutKind): string | null {
  switch (kind) {
    case 'wren':
      return existsSync(WREN_CLI) ? null : `${WREN_CLI} is missing: run npm run build`;
    case 'bird':
      return onPath('bird') && onPath('birdc') ? null : 'bird/birdc not found: apt-get install bird2 (scripts/setup.sh)';
    case 'frr':
      return existsSync('/usr/lib/frr/bgpd') && onPath('vtysh') ? null : 'FRR not found: apt-get install frr (scripts/setup.sh)';
    case 'gobgp':
      return onPath('gobgpd') && onPath('gobgp') ? null : 'gobgpd not found: apt-get install gobgpd (scripts/setup.sh)';
  }
}

/** Version strings of the DUTs, for the report. */
export function dutVersions(): Record<DutKind, string> {
  const first = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown';
  };
  return {
    wren: `Node.js ${process.version}`,
    bird: first('bird', ['--version']),
    frr: first('/usr/lib/frr/bgpd', ['--version']),
    gobgp: first('gobgpd', ['--version']),
  };
}
