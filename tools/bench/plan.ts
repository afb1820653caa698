/**
 * What a bench invocation runs: scenarios x sizes x runs x subjects, in an order that spreads
 * machine noise over the subjects (each run goes through every subject; the starting subject
 * rotates from run to run).
 */
import type { DutKind } from './dut.js';
import type { ScenarioName, Subject } from './scenarios/types.js';

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
}

export interface Cell {
  readonly scenario: ScenarioName;
  readonly subject: Subject;
  readonly size: number;
  readonly run: number;
}

/** The subjects a scenario compares: GoBGP has no FIB; the kernel scenario adds the ip -batch floor; codec is wren alone. */
export function subjectsFor(scenario: ScenarioName, duts: readonly DutKind[]): Subject[] {
  switch (scenario) {
    case 'inout':
    case 'reflector':
      return [...duts];
    case 'kernel':
      return [...duts.filter((d) => d !== 'gobgp'), 'ip-batch'];
    case 'codec':
    case 'datastore':
      return duts.includes('wren') ? ['wren'] : [];
  }
}

export function plan(o: PlanOptions): Cell[] {
  const cells: Cell[] = [];
  for (const scenario of o.scenarios) {
    const subjects = subjectsFor(scenario, o.duts);
    const sizes = scenario === 'reflector' ? o.k : scenario === 'datastore' ? (o.nodes ?? []) : o.n;
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
