import { describe, expect, it } from 'vitest';
import { ExportJournal } from '../../../src/rib/export-journal.js';
import { LocRib } from '../../../src/rib/loc-rib.js';

function entries(j: ExportJournal, from: number): number[] {
  const out: number[] = [];
  for (let p = from; p < j.end; p++) {
    const id = j.at(p);
    if (id >= 0) out.push(id);
  }
  return out;
}

describe('ExportJournal', () => {
  it('keeps one entry per destination, at its latest change', () => {
    const loc = new LocRib();
    const j = new ExportJournal(loc);
    const a = loc.getOrCreate('10.0.0.0/24', 'ipv4-unicast');
    const b = loc.getOrCreate('10.0.1.0/24', 'ipv4-unicast');
    j.append(a);
    j.append(b);
    j.append(a);
    expect(entries(j, 0)).toEqual([b, a]);
    j.remove(b);
    expect(entries(j, 0)).toEqual([a]);
  });

  it('keeps absolute positions and live entries when the consumed head is trimmed', () => {
    const loc = new LocRib();
    const j = new ExportJournal(loc);
    const ids = Array.from({ length: 10_000 }, (_, i) => loc.getOrCreate(`10.${i >> 8}.${i & 255}.0/24`, 'ipv4-unicast'));
    for (const id of ids) j.append(id);
    const reader = 6000;
    j.trim(reader);
    expect(j.end).toBe(10_000);
    expect(j.length).toBe(4000);
    expect(j.at(5999)).toBe(-1);
    expect(entries(j, reader)).toEqual(ids.slice(6000));
    // A destination whose entry was trimmed is appended again normally; one still there moves.
    j.append(ids[0] as number);
    j.append(ids[9000] as number);
    expect(entries(j, reader)).toEqual([...ids.slice(6000, 9000), ...ids.slice(9001), ids[0], ids[9000]]);
  });
});
