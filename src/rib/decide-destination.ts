/**
 * One destination through the decision process (RFC 4271 9.1.2, ECMP): its best route among the
 * accepted routes of every source, the forwarding facts of the selected paths, and what follows
 * from a change: a BestChange for the kernel when the forwarding facts changed, an export journal
 * entry when the best route (or what its export depends on) changed. rib.ts runs it over the dirty
 * destinations once per batch.
 */
import type { Route } from './adj-rib-in.js';
import type { AttrSet } from './attrs-store.js';
import { candidateOf, ecmpNextHops, LOCAL_FORWARDING, sameForwarding, singlePathForwarding } from './candidate.js';
import { multipathSet, selectBest } from './decision.js';
import type { ExportJournal } from './export-journal.js';
import type { DestId, LocRib } from './loc-rib.js';
import type { BestChange, BestForwarding } from './types.js';

/** The forwarding facts of a route that is the only path. */
const singlePath = (r: Route): BestForwarding =>
  r.source.role === 'local' ? LOCAL_FORWARDING : singlePathForwarding(r.attrs as AttrSet);

/** Decides destination `id`; appends its BestChange to `changes` (unless null) and journals it when needed. */
export function decideDestination(loc: LocRib, journal: ExportJournal, id: DestId, maxPaths: number, changes: BestChange[] | null): void {
  let best: Route | null = null;
  let fib: BestForwarding | null = null;
  const rs = loc.routes(id);
  if (rs !== null && !Array.isArray(rs)) {
    // The common case: one route, no ladder.
    if (rs.attrs !== null) {
      best = rs;
      rs.lostBy = null;
      fib = singlePath(rs);
    }
  } else if (rs !== null) {
    let only: Route | null = null;
    let n = 0;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i] as Route;
      if (r.attrs !== null) {
        only = r;
        n++;
      }
    }
    if (n === 1 && only !== null) {
      best = only;
      only.lostBy = null;
      fib = singlePath(only);
    } else if (n > 1) {
      const cands = [];
      for (const r of rs) if (r.attrs !== null) cands.push(candidateOf(r));
      const dec = selectBest(cands);
      if (dec !== null) {
        best = dec.best.route;
        for (const x of cands) x.route.lostBy = dec.lostBy.get(x) ?? null;
        const paths = multipathSet(dec.best, cands, cands.length).map((x) => x.route);
        if (best.source.role === 'local' || paths.length === 1) fib = singlePath(best);
        else fib = Object.freeze({ local: false, nextHops: Object.freeze(ecmpNextHops(paths, maxPaths)) });
      }
    }
  }
  if (!sameForwarding(loc.fib(id), fib)) {
    loc.setFib(id, fib);
    // The forwarding object itself is handed out: it is frozen (and often shared), so nobody changes it.
    if (changes !== null) {
      const prefix = loc.prefix(id);
      changes.push(fib === null ? { prefix, best: null } : { prefix, best: fib as { readonly local: boolean; readonly nextHops: string[] } });
    }
  }
  const was = loc.best(id);
  if (best !== was || loc.exportPending(id)) {
    if (best !== was) {
      if (was !== null) was.source.preferred--;
      if (best !== null) best.source.preferred++;
    }
    loc.setBest(id, best);
    loc.setExportPending(id, false);
    journal.append(id);
  }
}
