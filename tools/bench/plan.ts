/**
 * What a bench invocation runs: scenarios x sizes x runs x subjects, in an order that spreads
 * machine noise over the subjects (each run goes through every subject; the starting subject
 * rotates from run to run). A baseline build of wren (`--baseline`) is one more subject, placed
 * right after wren, so the two builds are always measured in the same run, minutes apart at most.
 */
import type { DutKind } from './dut.js';
import { IDLE_ROUTES, sizedByK, type BaselineSubject, type ScenarioName, type Subject } from './scenarios/types.js';

export interface PlanOptions {
  readonly scenarios: readonly ScenarioName[];
  readonly duts: readonly DutKind[];
  /** Sizes for inout, kernel and codec (N routes). */
  readonly n: readonly number[];
  /** Sizes for reflector (K clients). */
  readonly k: readonly number[];
  /** Sizes for datastore (Node resources in etcd). */
  readonly nodes?: readonly number[];
  readonly runs: number;
  /** Baseline builds of wren (`wren@<short>`), measured wherever wren is (not in codec, which runs in-process). */
  readonly baselines?: readonly BaselineSubject[];
}

export interface Cell {
  readonly scenario: ScenarioName;
  readonly subject: Subject;
  readonly size: number;
  readonly run: number;
}

/** duts with the baselines right after wren (or first, when wren itself is not measured). */
function withBaselines(duts: readonly DutKind[], baselines: readonly BaselineSubject[]): Subject[] {
  if (baselines.length === 0) return [...duts];
  const at = duts.indexOf('wren') + 1;
  return [...duts.slice(0, at), ...baselines, ...duts.slice(at)];
}

/**
 * The subjects a scenario compares: GoBGP has no FIB; the kernel scenario adds the ip -batch floor;
 * reflector-addpath compares wren, BIRD and FRR (GoBGP's ADD-PATH send is a count, `send-max`, not
 * "all", and is not measured); codec and bfd-load are wren alone (codec: this checkout's code,
 * in-process: a baseline has none there).
 */
export function subjectsFor(scenario: ScenarioName, duts: readonly DutKind[], baselines: readonly BaselineSubject[] = []): Subject[] {
  switch (scenario) {
    case 'inout':
    case 'reflector':
    case 'idle':
      return withBaselines(duts, baselines);
    case 'kernel':
      return [...withBaselines(duts.filter((d) => d !== 'gobgp'), baselines), 'ip-batch'];
    case 'reflector-addpath':
      return withBaselines(duts.filter((d) => d !== 'gobgp'), baselines);
    case 'codec':
    case 'bfd-load':
    case 'datastore':
      return duts.includes('wren') ? ['wren'] : [];
  }
}

export function plan(o: PlanOptions): Cell[] {
  const cells: Cell[] = [];
  for (const scenario of o.scenarios) {
    const subjects = subjectsFor(scenario, o.duts, o.baselines);
    const sizes = sizedByK(scenario) ? o.k : scenario === 'datastore' ? (o.nodes ?? []) : scenario === 'idle' ? [IDLE_ROUTES] : o.n;
    for (const size of sizes) {
      for (let run = 1; run <= o.runs; run++) {
        for (let i = 0; i < subjects.length; i++) {
          const subject = subjects[(i + run - 1) % subjects.length];
          if (subject !== undefined) cells.push({ scenario, subject, size, run });
        }
      }
    }
  }
  return cells;
}
