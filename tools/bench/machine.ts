/** Facts about the machine and software a result was measured on, for the report. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../kit/paths.js';
import { dutVersions, type DutKind } from './dut.js';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly kernel: string;
  readonly os: string;
  readonly node: string;
  readonly versions: Readonly<Record<DutKind, string>>;
  /** 1-minute load average when the bench started: other work on the machine skews the numbers. */
  readonly loadAtStart: number;
}

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function wrenVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  const versions = dutVersions();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    os: osName(),
    node: process.version,
    versions: { ...versions, wren: `wren ${wrenVersion()} (Node.js ${process.version})` },
    loadAtStart: loadavg()[0] ?? 0,
  };
}
