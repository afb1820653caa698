// From every captured message to a few dozen golden vectors: convert (tshark -> JSON), prove the
// conversion by re-encoding with the sender's own layout, judge canonical form, tag features,
// keep the first message of each (sender, kind, features) signature, drop byte-identical repeats.
import { convert, summarize } from './convert.mjs';
import { canonicalLayout, encodeMessage } from './encode.mjs';

const NAMES = { bird: 'BIRD', frr: 'FRR', gobgp: 'GoBGP' };
const ATTR_NAMES = {
  1: 'ORIGIN', 2: 'AS_PATH', 3: 'NEXT_HOP', 4: 'MULTI_EXIT_DISC', 5: 'LOCAL_PREF', 6: 'ATOMIC_AGGREGATE', 7: 'AGGREGATOR',
  8: 'COMMUNITIES', 9: 'ORIGINATOR_ID', 10: 'CLUSTER_LIST', 14: 'MP_REACH_NLRI', 15: 'MP_UNREACH_NLRI', 16: 'EXTENDED_COMMUNITIES',
  17: 'AS4_PATH', 18: 'AS4_AGGREGATOR', 32: 'LARGE_COMMUNITY',
};
const CEASE = { 1: 'max-prefixes', 2: 'admin-shutdown', 3: 'peer-deconfigured', 4: 'admin-reset', 5: 'connection-rejected', 6: 'config-change', 7: 'collision', 8: 'out-of-resources', 9: 'hard-reset' };
const FAMILY = { '1/1': 'ipv4', '2/1': 'ipv6' };
const fam = (afi, safi) => FAMILY[`${afi}/${safi}`] ?? `afi${afi}-safi${safi}`;

/** Feature tags of an UPDATE; the first one is its main case. */
function updateTags(m, ctx, layout) {
  const a = m.attrs;
  if (a === null && m.withdrawn.length === 0 && m.nlri.length === 0) return ['eor-ipv4'];
  if (a?.mpUnreach && a.mpUnreach.withdrawn.length === 0 && Object.keys(a).length === 1 && m.nlri.length === 0) return [`eor-${fam(a.mpUnreach.afi, a.mpUnreach.safi)}`];
  const tags = [];
  if (m.withdrawn.length) tags.push('withdraw-ipv4');
  if (a?.mpUnreach?.withdrawn.length) tags.push(`withdraw-${fam(a.mpUnreach.afi, a.mpUnreach.safi)}`);
  if (m.nlri.length) tags.push('ipv4');
  if (a?.mpReach) tags.push(fam(a.mpReach.afi, a.mpReach.safi));
  if (a === null) return tags;
  if (a.mpReach?.nextHops.length === 2) tags.push('link-local');
  if (a.mpReach?.nextHops[0]?.startsWith('::ffff:')) tags.push('v4-mapped-next-hop');
  if (a.originatorId !== undefined) tags.push('reflected');
  if (a.as4Path) tags.push('as4-path');
  if (a.asPath?.some((s) => s.type === 'set')) tags.push('as-set');
  if (a.atomicAggregate) tags.push('atomic-aggregate');
  if (a.as4Aggregator) tags.push('as4-aggregator');
  else if (a.aggregator) tags.push('aggregator');
  if (a.largeCommunities) tags.push('large-communities');
  if (a.extCommunities) tags.push('ext-communities');
  if (a.communities) tags.push('communities');
  if (a.localPref !== undefined) tags.push('local-pref');
  if (a.med !== undefined) tags.push('med');
  const pathLen = (a.asPath ?? []).reduce((n, s) => n + s.asns.length, 0);
  if (a.asPath && pathLen === 0) tags.push('empty-as-path');
  if (pathLen >= 3) tags.push('long-as-path');
  if (!ctx.as4) tags.push('2-octet-as');
  if (layout.some((l) => l.flags & 0x10)) tags.push('extended-length');
  return tags;
}

function openTags(m, ctx, session) {
  const caps = m.params.flatMap((p) => p.capabilities ?? []);
  const mp = caps.filter((c) => c.kind === 'multiprotocol').map((c) => fam(c.afi, c.safi));
  const tags = [`${session}-session`];
  tags.push(mp.length === 0 ? 'no-mp' : mp.join('-'));
  if (!caps.some((c) => c.kind === 'as4')) tags.push('no-as4');
  if (m.myAs === 23456) tags.push('as-trans');
  if (caps.some((c) => c.kind === 'extended-message')) tags.push('extended-message');
  const gr = caps.find((c) => c.kind === 'graceful-restart');
  if (gr) tags.push(gr.families.length ? 'graceful-restart' : 'graceful-restart-helper');
  if (caps.some((c) => c.kind === 'add-path')) tags.push('add-path');
  if (caps.some((c) => c.kind === 'extended-next-hop')) tags.push('extended-next-hop');
  if (m.params.length > 1) tags.push('one-capability-per-parameter');
  return { tags, signature: caps.map((c) => (c.kind === 'unknown' ? `u${c.code}` : c.kind)).join(',') };
}

function rfcs(kind, m, tags) {
  const out = [];
  if (kind === 'open') {
    out.push('RFC 4271 4.2', 'RFC 5492 4');
    const caps = m.params.flatMap((p) => p.capabilities ?? []).map((c) => c.kind);
    if (caps.includes('as4')) out.push('RFC 6793 3');
    if (caps.includes('graceful-restart')) out.push('RFC 4724 3');
    if (caps.includes('extended-message')) out.push('RFC 8654 3');
    if (caps.includes('add-path')) out.push('RFC 7911 4');
    if (caps.includes('enhanced-route-refresh')) out.push('RFC 7313 4');
    if (caps.includes('extended-next-hop')) out.push('RFC 8950 3');
  } else if (kind === 'update') {
    out.push('RFC 4271 4.3');
    if (tags.some((t) => t.startsWith('eor'))) out.push('RFC 4724 2');
    if (m.attrs?.mpReach || m.attrs?.mpUnreach) out.push('RFC 4760 3');
    if (tags.includes('link-local')) out.push('RFC 2545 3');
    if (tags.includes('as4-path') || tags.includes('as4-aggregator') || tags.includes('2-octet-as')) out.push('RFC 6793 4.2');
    if (tags.includes('communities')) out.push('RFC 1997');
    if (tags.includes('ext-communities')) out.push('RFC 4360 4');
    if (tags.includes('large-communities')) out.push('RFC 8092 3');
    if (tags.includes('reflected')) out.push('RFC 4456 8');
  } else if (kind === 'notification') {
    out.push('RFC 4271 4.5');
    if (m.code === 6) out.push('RFC 4486 4');
    if (m.data.hex.length > 0 && m.code === 6) out.push('RFC 9003 2');
  } else if (kind === 'keepalive') {
    out.push('RFC 4271 4.4');
  } else {
    out.push('RFC 2918 3');
    if (m.subtype !== 0) out.push('RFC 7313 3.2');
  }
  return out.join(', ');
}

/** Why the captured layout is not the canonical one, or [] when it is. */
function layoutDifferences(m, ctx, layout) {
  if (m.kind !== 'update' || m.attrs === null) return [];
  const canon = canonicalLayout(m.attrs, ctx);
  const out = [];
  const wireOrder = layout.map((l) => l.type).join(',');
  const canonOrder = canon.map((l) => l.type).join(',');
  if (wireOrder !== canonOrder) out.push(`attribute order on the wire is ${wireOrder}; canonical is ${canonOrder}`);
  for (const l of layout) {
    const c = canon.find((x) => x.type === l.type);
    if (c === undefined || c.flags === l.flags) continue;
    const name = ATTR_NAMES[l.type] ?? `type ${l.type}`;
    if ((c.flags ^ l.flags) === 0x10 && l.flags & 0x10) out.push(`${name} has the Extended Length flag with a value of at most 255 bytes`);
    else if ((c.flags ^ l.flags) === 0x10) out.push(`${name} lacks the Extended Length flag although its value exceeds 255 bytes`);
    else out.push(`${name} flags 0x${l.flags.toString(16)} (canonical 0x${c.flags.toString(16)})`);
  }
  return out;
}

function sessionText(x) {
  const kind = x.phase === 'ibgp' ? 'iBGP' : 'eBGP';
  return `${kind} over an ${x.session === 'ipv4' ? 'IPv4' : 'IPv6'} session (lab link L${x.link}, ${x.phase} phase)`;
}

/**
 * Greedy cover per (sender, kind): repeatedly keep the candidate that adds the most feature tags
 * not yet covered for that sender and kind (earliest first on ties), until none adds any.
 */
function cover(candidates) {
  const groups = new Map();
  for (const c of candidates) {
    const k = `${c.x.sender}|${c.msg.kind}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(c);
  }
  const kept = [];
  for (const group of groups.values()) {
    const covered = new Set();
    for (;;) {
      let best;
      let gain = 0;
      for (const c of group) {
        const g = c.coverTags.filter((t) => !covered.has(t)).length;
        if (g > gain) {
          best = c;
          gain = g;
        }
      }
      if (best === undefined) break;
      for (const t of best.coverTags) covered.add(t);
      kept.push(best);
    }
  }
  return kept.sort((a, b) => a.order - b.order);
}

/** Every captured message -> vectors { file, body }, deduplicated and named. */
export function selectVectors(messages, { versions, date }) {
  const candidates = [];
  const sendersByHex = new Map();
  messages.forEach((x, order) => {
    const known = sendersByHex.get(x.hex);
    if (known) {
      known.add(x.sender);
      return; // same bytes as an earlier message: one vector
    }
    sendersByHex.set(x.hex, new Set([x.sender]));
    const { msg, layout } = convert(x.bgp);
    const faithful = encodeMessage(msg, x.ctx, layout).toString('hex');
    if (faithful !== x.hex) {
      throw new Error(`conversion of a ${msg.kind} from ${x.sender} (${x.phase} L${x.link} frame ${x.frame}) does not re-encode to its bytes:\n  wire ${x.hex}\n  ours ${faithful}\n  ${JSON.stringify(msg)}`);
    }
    let tags;
    if (msg.kind === 'update') tags = updateTags(msg, x.ctx, layout);
    else if (msg.kind === 'open') tags = openTags(msg, x.ctx, x.session).tags;
    else if (msg.kind === 'notification') {
      tags = [msg.code === 6 ? `cease-${CEASE[msg.subcode] ?? msg.subcode}` : `code${msg.code}-subcode${msg.subcode}`];
      if (msg.data.hex.length > 0 && msg.code === 6) tags.push('with-message');
    } else if (msg.kind === 'route-refresh') tags = [`${['request', 'borr', 'eorr'][msg.subtype] ?? `subtype${msg.subtype}`}-${fam(msg.afi, msg.safi)}`];
    else tags = ['basic'];
    const canonical = encodeMessage(msg, x.ctx, undefined).toString('hex') === x.hex;
    const coverTags = [...tags, canonical ? 'canonical' : 'not-canonical', msg.kind === 'notification' || msg.kind === 'route-refresh' ? tags.join('+') : ''].filter(Boolean);
    candidates.push({ x, msg, layout, tags, coverTags, order });
  });

  const usedNames = new Set();
  const vectors = [];
  for (const { x, msg, layout, tags } of cover(candidates)) {
    const canonical = encodeMessage(msg, x.ctx, undefined).toString('hex');
    const diffs = layoutDifferences(msg, x.ctx, layout);
    if (canonical !== x.hex && diffs.length === 0) diffs.push('canonical re-encoding differs from the capture for a reason not recognised by the script');
    const caseName = (msg.kind === 'update' ? tags.slice(0, 4) : msg.kind === 'open' ? tags.slice(0, 5) : tags).join('-') || 'basic';
    let file = `${x.sender}-${msg.kind}-${caseName}`;
    for (let i = 2; usedNames.has(file); i++) file = `${x.sender}-${msg.kind}-${caseName}-${i}`;
    usedNames.add(file);
    const others = [...sendersByHex.get(x.hex)].filter((s) => s !== x.sender).sort().map((s) => NAMES[s]);
    const notes = [sessionText(x)];
    if (msg.kind === 'update' && tags.length > 4) notes.push(`features: ${tags.join(', ')}`);
    if (others.length) notes.push(`identical bytes also sent by ${others.join(' and ')}`);
    if (diffs.length) notes.push(`not canonical: ${diffs.join('; ')}`);
    const body = {
      rfc: rfcs(msg.kind, msg, tags),
      origin: `captured from ${versions[x.sender]} (sender) -> ${versions[x.receiver]} in the netns lab, ${date}`,
      ctx: x.ctx,
      hex: x.hex,
      decoded: msg,
      reencode: canonical === x.hex ? 'exact' : 'semantic',
      note: notes.join('. '),
      tshark: summarize(x.bgp, msg),
    };
    vectors.push({ file: `${file}.json`, body });
  }
  return vectors;
}

