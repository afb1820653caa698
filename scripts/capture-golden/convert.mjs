// tshark's BGP decode (`-T json --no-duplicate-keys -x`) -> wren's BgpMessage JSON form (the type
// in src/codec/types.ts, Buffers as { hex }), plus the sender's attribute layout (order and flags,
// for the faithful re-encode check) and a compact summary of what tshark said.
//
// Values come from tshark's decoded fields. Where tshark shows no decoded value, the bytes it
// delimited are used (`*_raw`): unknown capabilities, extended communities, unknown attributes.

const PA = 'bgp.update.path_attribute';
const asArray = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const num = (v) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${JSON.stringify(v)}`);
  return n;
};
const colonHex = (s) => s.replaceAll(':', '').toLowerCase();
/** The hex of a `_raw` entry ([hex, offset, length, ...]) or a list of them. */
const rawHexes = (raw) => (raw === undefined ? [] : typeof raw[0] === 'string' ? [raw[0]] : raw.map((r) => r[0]));

const SEGMENT = { 1: 'set', 2: 'sequence', 3: 'confed-sequence', 4: 'confed-set' };

function asPath(pa) {
  return asArray(pa[`${PA}.as_path_segment`]).map((s) => ({
    type: SEGMENT[num(s[`${PA}.as_path_segment.type`])],
    asns: asArray(s[`${PA}.as_path_segment.as4`] ?? s[`${PA}.as_path_segment.as2`]).map(num),
  }));
}

/** Prefixes of an NLRI-like block: `{ "<p>/<len>": { "bgp.prefix_length", "<field>" } }`. */
function prefixes(block, field) {
  if (block === undefined || block === '') return [];
  return Object.values(block).flatMap((entry) =>
    asArray(entry).map((e) => {
      const addr = e[field];
      if (addr === undefined) throw new Error(`prefix entry without ${field}: ${JSON.stringify(e)}`);
      return `${addr}/${num(e['bgp.prefix_length'])}`;
    }),
  );
}

function mpPrefixField(afi, which) {
  if (afi === 2) return `bgp.${which}_ipv6_prefix`;
  if (afi === 1) return which === 'mp_reach_nlri' ? 'bgp.mp_reach_nlri_ipv4_prefix' : 'bgp.mp_unreach_nlri_ipv4_prefix';
  throw new Error(`AFI ${afi} not supported by the converter`);
}

function mpReach(pa) {
  const afi = num(pa[`${PA}.mp_reach_nlri.afi`]);
  const safi = num(pa[`${PA}.mp_reach_nlri.safi`]);
  if (num(pa[`${PA}.mp_reach_nlri.nbr_snpa`] ?? 0) !== 0) throw new Error('MP_REACH with SNPAs');
  const tree = pa[`${PA}.mp_reach_nlri.next_hop_tree`] ?? {};
  const nextHops = [tree[`${PA}.mp_reach_nlri.next_hop.ipv6`], tree[`${PA}.mp_reach_nlri.next_hop.ipv6.link_local`], tree[`${PA}.mp_reach_nlri.next_hop.ipv4`]].filter(
    (x) => x !== undefined,
  );
  if (nextHops.length === 0) throw new Error(`MP_REACH next hop not decoded: ${JSON.stringify(pa)}`);
  return { afi, safi, nextHops, nlri: prefixes(pa[`${PA}.mp_reach_nlri`], mpPrefixField(afi, 'mp_reach_nlri')) };
}

function mpUnreach(pa) {
  const afi = num(pa[`${PA}.mp_unreach_nlri.afi`]);
  const safi = num(pa[`${PA}.mp_unreach_nlri.safi`]);
  return { afi, safi, withdrawn: prefixes(pa[`${PA}.mp_unreach_nlri`], mpPrefixField(afi, 'mp_unreach_nlri')) };
}

function communities(pa) {
  const list = asArray(pa[`${PA}.communities`]?.[`${PA}.community`]);
  return list.map((c) => {
    if (c[`${PA}.community_as`] !== undefined) return num(c[`${PA}.community_as`]) * 65536 + num(c[`${PA}.community_value`]);
    throw new Error(`community without AS/value fields: ${JSON.stringify(c)}`);
  });
}

function largeCommunities(pa) {
  return asArray(pa['bgp.large_communities_tree']).map((l) => ({
    global: num(l['bgp.large_communities.ga']),
    local1: num(l['bgp.large_communities.ldp1']),
    local2: num(l['bgp.large_communities.ldp2']),
  }));
}

/** The value bytes of an attribute whose content tshark does not decode: its raw minus the header. */
function rawValue(pa) {
  const whole = rawHexes(pa.__raw)[0];
  if (whole === undefined) throw new Error(`no raw bytes for attribute ${pa[`${PA}.type_code`]}`);
  const flags = parseInt(whole.slice(0, 2), 16);
  return whole.slice((flags & 0x10 ? 4 : 3) * 2);
}

const SETTERS = {
  1: (a, pa) => (a.origin = num(pa[`${PA}.origin`])),
  2: (a, pa) => (a.asPath = asPath(pa)),
  3: (a, pa) => (a.nextHop = pa[`${PA}.next_hop`]),
  4: (a, pa) => (a.med = num(pa[`${PA}.multi_exit_disc`])),
  5: (a, pa) => (a.localPref = num(pa[`${PA}.local_pref`])),
  6: (a) => (a.atomicAggregate = true),
  7: (a, pa) => (a.aggregator = { asn: num(pa[`${PA}.aggregator_as`]), address: pa[`${PA}.aggregator_origin`] }),
  8: (a, pa) => (a.communities = communities(pa)),
  9: (a, pa) => (a.originatorId = pa[`${PA}.originator_id`]),
  10: (a, pa) => (a.clusterList = asArray(pa['bgp.path_attribute.cluster_list']?.['bgp.path_attribute.cluster_id'])),
  14: (a, pa) => (a.mpReach = mpReach(pa)),
  15: (a, pa) => (a.mpUnreach = mpUnreach(pa)),
  16: (a, pa) => (a.extCommunities = rawHexes(pa['bgp.ext_communities']?.['bgp.ext_community_raw']).map((hex) => ({ hex }))),
  17: (a, pa) => (a.as4Path = asPath(pa)),
  18: (a, pa) => (a.as4Aggregator = { asn: num(pa[`${PA}.aggregator_as`]), address: pa[`${PA}.aggregator_origin`] }),
  32: (a, pa) => (a.largeCommunities = largeCommunities(pa)),
};

/** Path attributes in wire order, each with its raw bytes attached as `__raw`. */
function pathAttributes(bgp) {
  const block = bgp[`${PA}s`];
  if (block === undefined) return [];
  const list = asArray(block[PA]);
  const raws = block[`${PA}_raw`];
  const rawList = raws === undefined ? [] : typeof raws[0] === 'string' ? [raws] : raws;
  return list.map((pa, i) => ({ ...pa, __raw: rawList[i] }));
}

function convertUpdate(bgp) {
  const pas = pathAttributes(bgp);
  const layout = [];
  const attrs = {};
  const unknown = [];
  for (const pa of pas) {
    const type = num(pa[`${PA}.type_code`]);
    const flags = parseInt(pa[`${PA}.flags`], 16);
    layout.push({ type, flags });
    const set = SETTERS[type];
    if (set) set(attrs, pa);
    // types.ts RawAttr: Extended Length is not kept; optional transitive ones get Partial (RFC 4271 5).
    else unknown.push({ flags: (flags & ~0x10) | ((flags & 0xc0) === 0xc0 ? 0x20 : 0), type, value: { hex: rawValue(pa) } });
  }
  if (unknown.length > 0) attrs.unknown = unknown;
  const msg = {
    kind: 'update',
    withdrawn: prefixes(bgp['bgp.update.withdrawn_routes'], 'bgp.withdrawn_prefix'),
    attrs: num(bgp[`${PA}s.length`]) === 0 ? null : attrs,
    nlri: prefixes(bgp['bgp.update.nlri'], 'bgp.nlri_prefix'),
  };
  return { msg, layout };
}

function capability(c, raw) {
  const code = num(c['bgp.cap.type']);
  switch (code) {
    case 1:
      return { kind: 'multiprotocol', afi: num(c['bgp.cap.mp.afi']), safi: num(c['bgp.cap.mp.safi']) };
    case 2:
      return { kind: 'route-refresh' };
    case 5: {
      const afis = asArray(c['bgp.cap.enh.afi']);
      const safis = asArray(c['bgp.cap.enh.safi']);
      const nh = asArray(c['bgp.cap.enh.nhafi']);
      return { kind: 'extended-next-hop', entries: afis.map((afi, i) => ({ afi: num(afi), safi: num(safis[i]), nextHopAfi: num(nh[i]) })) };
    }
    case 6:
      return { kind: 'extended-message' };
    case 64: {
      const t = c['bgp.cap.gr.timers_tree'];
      const afis = asArray(c['bgp.cap.gr.afi']);
      const safis = asArray(c['bgp.cap.gr.safi']);
      const flags = asArray(c['bgp.cap.gr.flag']);
      return {
        kind: 'graceful-restart',
        restarting: t['bgp.cap.gr.timers.restart_flag'] === '1',
        notification: t['bgp.cap.gr.timers.notification_flag'] === '1',
        restartTimeSec: num(t['bgp.cap.gr.timers.restart_time']),
        families: afis.map((afi, i) => {
          const f = parseInt(flags[i], 16);
          if ((f & 0x7f) !== 0) throw new Error(`graceful restart AF flags ${flags[i]} beyond F`);
          return { afi: num(afi), safi: num(safis[i]), forwardingPreserved: (f & 0x80) !== 0 };
        }),
      };
    }
    case 65:
      return { kind: 'as4', asn: num(c['bgp.cap.4as']) };
    case 69: {
      const afis = asArray(c['bgp.cap.ap.afi']);
      const safis = asArray(c['bgp.cap.ap.safi']);
      const sr = asArray(c['bgp.cap.ap.sendreceive']);
      return { kind: 'add-path', families: afis.map((afi, i) => ({ afi: num(afi), safi: num(safis[i]), sendReceive: num(sr[i]) })) };
    }
    case 70:
      return { kind: 'enhanced-route-refresh' };
    default:
      // Kept raw by our codec: LLGR (71), FQDN (73), the pre-standard route refresh (128), ...
      if (raw === undefined) throw new Error(`no raw bytes for capability ${code}`);
      return { kind: 'unknown', code, value: { hex: raw.slice(4) } };
  }
}

function convertOpen(bgp) {
  const params = asArray(bgp['bgp.open.opt']?.['bgp.open.opt.param']).map((p, i, all) => {
    const type = num(p['bgp.open.opt.param.type']);
    if (type !== 2) {
      const raw = rawHexes(bgp['bgp.open.opt']['bgp.open.opt.param_raw'])[all.length === 1 ? 0 : i];
      return { type, value: { hex: raw.slice(4) } };
    }
    const caps = asArray(p['bgp.cap']);
    const raws = rawHexes(p['bgp.cap_raw']);
    return { type: 2, capabilities: caps.map((c, j) => capability(c, raws[j])) };
  });
  if (bgp['bgp.open.opt.extended_len'] !== undefined) throw new Error('RFC 9072 extended optional parameters: not handled');
  return {
    kind: 'open',
    version: num(bgp['bgp.open.version']),
    myAs: num(bgp['bgp.open.myas']),
    holdTime: num(bgp['bgp.open.holdtime']),
    bgpId: bgp['bgp.open.identifier'],
    params,
  };
}

function convertNotification(bgp) {
  const minorKey = Object.keys(bgp).find((k) => k.startsWith('bgp.notify.minor_error') && !k.endsWith('_raw'));
  const code = num(bgp['bgp.notify.major_error']);
  const subcode = minorKey === undefined ? 0 : num(bgp[minorKey]);
  const dataLen = num(bgp['bgp.length']) - 21;
  let hex = '';
  let communication;
  if (bgp['bgp.notify.communication_length'] !== undefined) {
    // RFC 9003 2 (Cease subcodes 2 and 4): a length octet, then that many octets of UTF-8.
    communication = bgp['bgp.notify.communication'] ?? '';
    const text = Buffer.from(communication, 'utf8');
    if (text.length !== num(bgp['bgp.notify.communication_length'])) throw new Error('shutdown communication length disagrees with its text');
    if (text.length + 1 !== dataLen) throw new Error('shutdown communication followed by more data');
    hex = Buffer.concat([Buffer.from([text.length]), text]).toString('hex');
  } else if (bgp['bgp.notify.error_data'] !== undefined) {
    hex = colonHex(bgp['bgp.notify.error_data']);
  } else if (dataLen > 0) {
    throw new Error(`NOTIFICATION ${code}/${subcode} with ${dataLen} data bytes tshark did not decode`);
  }
  const msg = { kind: 'notification', code, subcode, data: { hex } };
  // types.ts: the decoder adds the text when the data is exactly an RFC 9003 communication.
  if (communication !== undefined && code === 6 && (subcode === 2 || subcode === 4)) msg.shutdownCommunication = communication;
  return msg;
}

/** tshark's decode of one message -> { msg (BgpMessage JSON), layout (UPDATE attribute order and flags) }. */
export function convert(bgp) {
  switch (num(bgp['bgp.type'])) {
    case 1:
      return { msg: convertOpen(bgp), layout: undefined };
    case 2:
      return convertUpdate(bgp);
    case 3:
      return { msg: convertNotification(bgp), layout: undefined };
    case 4:
      return { msg: { kind: 'keepalive' }, layout: undefined };
    case 5:
      return {
        msg: { kind: 'route-refresh', afi: num(bgp['bgp.route_refresh.afi']), subtype: num(bgp['bgp.route_refresh.subtype'] ?? 0), safi: num(bgp['bgp.route_refresh.safi']) },
        layout: undefined,
      };
    default:
      throw new Error(`BGP type ${bgp['bgp.type']}`);
  }
}

const ORIGIN = ['IGP', 'EGP', 'INCOMPLETE'];
const segText = (path) => path.map((s) => (s.type === 'set' ? `{${s.asns.join(',')}}` : s.asns.join(' '))).join(' ');
const comm = (c) => `${Math.floor(c / 65536)}:${c % 65536}`;

/** A compact, readable account of tshark's decode (what the `tshark` field of a vector holds). */
export function summarize(bgp, msg) {
  const type = num(bgp['bgp.type']);
  if (type === 1) {
    const caps = msg.params.flatMap((p) => p.capabilities ?? []).map((c) => {
      switch (c.kind) {
        case 'multiprotocol':
          return `multiprotocol ${c.afi}/${c.safi}`;
        case 'graceful-restart':
          return `graceful-restart R=${+c.restarting} N=${+c.notification} time=${c.restartTimeSec}${c.families.map((f) => ` ${f.afi}/${f.safi}${f.forwardingPreserved ? '+F' : ''}`).join('')}`;
        case 'as4':
          return `4-octet-as ${c.asn}`;
        case 'add-path':
          return `add-path${c.families.map((f) => ` ${f.afi}/${f.safi}:${['', 'receive', 'send', 'both'][f.sendReceive]}`).join('')}`;
        case 'extended-next-hop':
          return `extended-next-hop${c.entries.map((e) => ` ${e.afi}/${e.safi}->${e.nextHopAfi}`).join('')}`;
        case 'unknown':
          return `capability ${c.code} (${c.value.hex.length / 2} bytes)`;
        default:
          return c.kind;
      }
    });
    return { kind: 'OPEN', myAs: msg.myAs, holdTime: msg.holdTime, bgpId: msg.bgpId, optionalParameters: msg.params.length, capabilities: caps };
  }
  if (type === 2) {
    const a = msg.attrs ?? {};
    const s = { kind: 'UPDATE' };
    if (msg.withdrawn.length) s.withdrawn = msg.withdrawn;
    if (msg.nlri.length) s.nlri = msg.nlri;
    if (a.mpReach) s.mpReach = { afi: a.mpReach.afi, safi: a.mpReach.safi, nextHops: a.mpReach.nextHops, nlri: a.mpReach.nlri };
    if (a.mpUnreach) s.mpUnreach = { afi: a.mpUnreach.afi, safi: a.mpUnreach.safi, withdrawn: a.mpUnreach.withdrawn };
    if (a.origin !== undefined) s.origin = ORIGIN[a.origin];
    if (a.asPath) s.asPath = segText(a.asPath);
    if (a.as4Path) s.as4Path = segText(a.as4Path);
    if (a.nextHop) s.nextHop = a.nextHop;
    if (a.med !== undefined) s.med = a.med;
    if (a.localPref !== undefined) s.localPref = a.localPref;
    if (a.atomicAggregate) s.atomicAggregate = true;
    if (a.aggregator) s.aggregator = `${a.aggregator.asn} ${a.aggregator.address}`;
    if (a.as4Aggregator) s.as4Aggregator = `${a.as4Aggregator.asn} ${a.as4Aggregator.address}`;
    if (a.communities) s.communities = a.communities.map(comm);
    if (a.largeCommunities) s.largeCommunities = a.largeCommunities.map((l) => `${l.global}:${l.local1}:${l.local2}`);
    if (a.extCommunities) {
      s.extCommunities = asArray(pathAttributes(bgp).find((p) => p[`${PA}.type_code`] === '16')?.['bgp.ext_communities']?.['bgp.ext_community']).map(
        (e) => `type ${e['bgp.ext_com.type']} subtype ${e['bgp.ext_com.stype_tr_as2'] ?? e['bgp.ext_com.stype_tr_as4'] ?? e['bgp.ext_com.stype_tr_ip4'] ?? '?'} ${e['bgp.ext_com.value_as2'] ?? e['bgp.ext_com.value_as4'] ?? e['bgp.ext_com.value_ip4'] ?? ''}:${e['bgp.ext_com.value_an4'] ?? e['bgp.ext_com.value_an2'] ?? ''}`,
      );
    }
    if (a.originatorId) s.originatorId = a.originatorId;
    if (a.clusterList) s.clusterList = a.clusterList;
    if (a.unknown) s.unknownAttributes = a.unknown.map((u) => u.type);
    // Wire order, with flags: "<type code> <flags>".
    s.attributes = pathAttributes(bgp).map((p) => `${p[`${PA}.type_code`]} ${p[`${PA}.flags`]}`);
    return s;
  }
  if (type === 3) {
    const s = { kind: 'NOTIFICATION', code: msg.code, subcode: msg.subcode };
    if (bgp['bgp.notify.communication'] !== undefined) s.communication = bgp['bgp.notify.communication'];
    return s;
  }
  if (type === 4) return { kind: 'KEEPALIVE' };
  return { kind: 'ROUTE-REFRESH', afi: msg.afi, safi: msg.safi, subtype: msg.subtype };
}
