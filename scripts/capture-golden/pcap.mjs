// From a pcap to BGP messages: our own TCP reassembly and framing gives the exact bytes; tshark's
// BGP dissector (with its own reassembly) gives an independent decode of each message. The two
// are matched in order per TCP stream and direction, and must carry identical bytes.
import { spawnSync } from 'node:child_process';
import { ownerOf } from './phases.mjs';

const MARKER = 'ff'.repeat(16);

function tshark(args) {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** TCP payloads per stream and direction, reassembled by sequence number. */
function tcpStreams(file) {
  const fields = ['tcp.stream', 'ip.src', 'ipv6.src', 'tcp.srcport', 'ip.dst', 'ipv6.dst', 'tcp.dstport', 'tcp.seq', 'tcp.payload'];
  const out = tshark(['-r', file, '-Y', 'tcp.len > 0', '-o', 'tcp.relative_sequence_numbers:TRUE', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]);
  const dirs = new Map();
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const [stream, s4, s6, sport, d4, d6, dport, seq, payload] = line.split('\t');
    const key = `${stream}|${s4 || s6}|${sport}`;
    if (!dirs.has(key)) dirs.set(key, { stream: Number(stream), src: s4 || s6, dst: d4 || d6, sport: Number(sport), dport: Number(dport), segs: [] });
    dirs.get(key).segs.push({ seq: Number(seq), data: Buffer.from(payload.replaceAll(':', ''), 'hex') });
  }
  for (const d of dirs.values()) {
    d.segs.sort((a, b) => a.seq - b.seq);
    const parts = [];
    let next = d.segs[0]?.seq ?? 1;
    for (const s of d.segs) {
      if (s.seq > next) throw new Error(`stream ${d.stream} ${d.src}: gap at seq ${next} (capture lost a segment)`);
      const skip = next - s.seq; // retransmitted bytes
      if (skip < s.data.length) parts.push(s.data.subarray(skip));
      next = Math.max(next, s.seq + s.data.length);
    }
    d.bytes = Buffer.concat(parts);
  }
  return [...dirs.values()];
}

/** Cuts a byte stream into BGP messages by the header length (RFC 4271 4.1). */
export function splitBgp(bytes) {
  const msgs = [];
  let off = 0;
  while (bytes.length - off >= 19) {
    if (bytes.subarray(off, off + 16).toString('hex') !== MARKER) throw new Error(`no BGP marker at offset ${off}`);
    const len = bytes.readUInt16BE(off + 16);
    if (len < 19) throw new Error(`BGP length ${len} at offset ${off}`);
    if (bytes.length - off < len) break; // cut off by the end of the capture
    msgs.push(bytes.subarray(off, off + len));
    off += len;
  }
  return msgs;
}

const asArray = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** tshark's decode of every BGP message, grouped per stream|src, in wire order. */
function tsharkDecodes(file, asnLen) {
  const frames = JSON.parse(tshark(['-r', file, '-Y', 'bgp', '-T', 'json', '--no-duplicate-keys', '-x', '-o', `bgp.asn_len:${asnLen}`]));
  const groups = new Map();
  for (const f of frames) {
    const l = f._source.layers;
    const key = `${l.tcp['tcp.stream']}|${l.ip?.['ip.src'] ?? l.ipv6?.['ipv6.src']}`;
    const msgs = asArray(l.bgp);
    const raws = l.bgp_raw === undefined ? [] : typeof l.bgp_raw[0] === 'string' ? [l.bgp_raw] : l.bgp_raw;
    if (raws.length !== msgs.length) throw new Error(`frame ${l.frame['frame.number']}: ${msgs.length} BGP messages but ${raws.length} raw blocks`);
    if (!groups.has(key)) groups.set(key, []);
    msgs.forEach((m, i) => groups.get(key).push({ frame: Number(l.frame['frame.number']), hex: raws[i][0], bgp: m }));
  }
  return groups;
}

/** Capability codes in an OPEN decoded by tshark, with their decoded objects. */
export function openCapabilities(bgp) {
  const params = asArray(bgp['bgp.open.opt']?.['bgp.open.opt.param']);
  return params.flatMap((p) => asArray(p['bgp.cap'])).map((c) => ({ code: Number(c['bgp.cap.type']), cap: c }));
}

function addPathFamilies(caps, wantSend) {
  const fams = new Set();
  for (const { code, cap } of caps) {
    if (code !== 69) continue;
    const afis = asArray(cap['bgp.cap.ap.afi']);
    const safis = asArray(cap['bgp.cap.ap.safi']);
    const srs = asArray(cap['bgp.cap.ap.sendreceive']);
    afis.forEach((afi, i) => {
      const sr = Number(srs[i]);
      if (wantSend ? sr === 2 || sr === 3 : sr === 1 || sr === 3) fams.add(`${Number(afi)}/${Number(safis[i])}`);
    });
  }
  return fams;
}

/**
 * The codec context of one direction of a session: as4 and extended message when both OPENs
 * carry the capability (RFC 6793, RFC 8654); ADD-PATH families (RFC 7911) from the receiver's
 * point of view: addPathRx where the sender sends and the receiver receives, addPathTx the reverse.
 */
export function sessionContext(senderOpen, receiverOpen) {
  const s = openCapabilities(senderOpen);
  const r = openCapabilities(receiverOpen);
  const both = (code) => s.some((c) => c.code === code) && r.some((c) => c.code === code);
  const inter = (a, b) => [...a].filter((x) => b.has(x)).sort();
  return {
    as4: both(65),
    extendedMessage: both(6),
    addPathRx: inter(addPathFamilies(s, true), addPathFamilies(r, false)),
    addPathTx: inter(addPathFamilies(r, true), addPathFamilies(s, false)),
  };
}

/**
 * Every BGP message of one capture: { phase, link, stream, sender, receiver, hex, bgp (tshark's
 * decode with the session's AS number size), ctx, index }.
 */
export function extractMessages(cap) {
  const dirs = tcpStreams(cap.file);
  const decodes = { 2: tsharkDecodes(cap.file, 2), 4: tsharkDecodes(cap.file, 4) };
  const byStream = new Map();
  for (const d of dirs) {
    const msgs = splitBgp(d.bytes);
    if (!byStream.has(d.stream)) byStream.set(d.stream, []);
    byStream.get(d.stream).push({ ...d, msgs });
  }
  const out = [];
  for (const [stream, sides] of byStream) {
    const key = (side) => `${stream}|${side.src}`;
    const openOf = (side) => decodes[4].get(key(side))?.find((m) => m.bgp['bgp.type'] === '1')?.bgp;
    for (const side of sides) {
      const other = sides.find((x) => x !== side);
      const myOpen = openOf(side);
      const peerOpen = other ? openOf(other) : undefined;
      if (!myOpen || !peerOpen) continue; // a connection that never exchanged OPENs (collision, refused)
      const ctx = sessionContext(myOpen, peerOpen);
      const decoded = decodes[ctx.as4 ? 4 : 2].get(key(side)) ?? [];
      if (decoded.length !== side.msgs.length) {
        throw new Error(`${cap.file} stream ${stream} from ${side.src}: ${side.msgs.length} messages framed, tshark decoded ${decoded.length}`);
      }
      side.msgs.forEach((bytes, i) => {
        const t = decoded[i];
        if (t.hex !== bytes.toString('hex')) throw new Error(`${cap.file} stream ${stream} from ${side.src} message ${i}: bytes differ from tshark's`);
        out.push({
          phase: cap.phase,
          link: cap.link.n,
          session: cap.link.session,
          stream,
          frame: t.frame,
          sender: ownerOf(side.src),
          receiver: ownerOf(side.dst),
          hex: t.hex,
          bgp: t.bgp,
          ctx,
          index: i,
        });
      });
    }
  }
  return out;
}
