/**
 * Values in Calico's resources that Go code parses, read the way Go reads them: AS numbers
 * (numorstring.ASNumber: a JSON number, or a decimal or asdot string), durations (metav1.Duration:
 * time.ParseDuration), `peerIP` with an optional port (net.SplitHostPort, then strconv.ParseUint
 * with base 0), and the sha256 router id of CALICO_ROUTER_ID=hash. Pure.
 */
import { createHash } from 'node:crypto';

export type GoParsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const U32_MAX = 4294967295;
const U16_MAX = 65535;

/** strconv.ParseUint(s, 10, bits): digits only (leading zeros allowed), in range. */
function parseDecimal(s: string, max: number): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= max ? n : undefined;
}

/**
 * numorstring.ASNumber from its JSON value: a JSON number 0..2^32-1 (Go unmarshals it into a
 * uint32), or a string that is decimal ("64512") or asdot ("1.10" = 1 << 16 | 10).
 */
export function parseAsNumber(value: unknown): GoParsed<number> {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 && value <= U32_MAX
      ? { ok: true, value }
      : { ok: false, error: `expected an AS number 0..${U32_MAX} (got ${JSON.stringify(value)})` };
  }
  if (typeof value === 'string') {
    const plain = parseDecimal(value, U32_MAX);
    if (plain !== undefined) return { ok: true, value: plain };
    const parts = value.split('.');
    if (parts.length === 2) {
      const high = parseDecimal(parts[0] ?? '', U16_MAX);
      const low = parseDecimal(parts[1] ?? '', U16_MAX);
      if (high !== undefined && low !== undefined) return { ok: true, value: high * 65536 + low };
    }
    return { ok: false, error: `invalid AS number format ${JSON.stringify(value)} (decimal, or asdot such as "1.10")` };
  }
  return { ok: false, error: `expected an AS number or an AS number string (got ${JSON.stringify(value)})` };
}

/** Nanoseconds per unit, as time.ParseDuration knows them. */
const UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5
  'μs': 1e3, // U+03BC
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * time.ParseDuration: "[-+]" then one or more "<decimal>[.<fraction>]<unit>", or "0". Returns
 * seconds (fractional). Precision is that of a double, enough for the whole seconds confd renders.
 */
export function parseGoDuration(text: string): GoParsed<number> {
  const bad = { ok: false as const, error: `invalid duration ${JSON.stringify(text)} (Go syntax such as "90s", "2m0s", "1h30m", "1.5s")` };
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s.startsWith('-')) sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, value: 0 };
  if (s === '') return bad;
  let ns = 0;
  const part = /^([0-9]*)(?:\.([0-9]*))?([a-zµμ]+)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m) return bad;
    const whole = m[1] ?? '';
    const frac = m[2];
    const unit = UNITS[m[3] ?? ''];
    if ((whole === '' && (frac === undefined || frac === '')) || unit === undefined) return bad;
    ns += (Number(whole || '0') + (frac ? Number(`0.${frac}`) : 0)) * unit;
    s = s.slice(m[0].length);
  }
  return { ok: true, value: (sign * ns) / 1e9 };
}

/** Whole seconds as confd writes them: int(math.Round(d.Seconds())) (half away from zero). */
export function roundSeconds(seconds: number): number {
  return Math.sign(seconds) * Math.round(Math.abs(seconds));
}

/**
 * strconv.ParseUint(s, 0, 16): a base prefix 0x / 0o / 0b or a leading 0 (octal), else decimal;
 * Go's literal syntax allows "_" between digits and after a base prefix.
 */
function parsePortBase0(s: string): number | undefined {
  let digits = s;
  let base = 10;
  let prefixed = false;
  const lower = s.toLowerCase();
  if (lower.startsWith('0x')) [base, digits, prefixed] = [16, s.slice(2), true];
  else if (lower.startsWith('0o')) [base, digits, prefixed] = [8, s.slice(2), true];
  else if (lower.startsWith('0b')) [base, digits, prefixed] = [2, s.slice(2), true];
  else if (s.length > 1 && s.startsWith('0')) [base, digits, prefixed] = [8, s.slice(1), true];
  const d = { 2: '[01]', 8: '[0-7]', 10: '[0-9]', 16: '[0-9a-fA-F]' }[base] ?? '[0-9]';
  const shape = prefixed ? new RegExp(`^(?:_?${d})+$`) : new RegExp(`^${d}(?:_?${d})*$`);
  if (!shape.test(digits)) return undefined;
  const n = parseInt(digits.replaceAll('_', ''), base);
  return n <= U16_MAX ? n : undefined;
}

/**
 * confd's parseIPPort: net.SplitHostPort ("a.b.c.d:port", "[v6]:port"); when that fails (a bare
 * address, a bare IPv6 address with its colons) or the port does not parse, the whole text is the
 * host and the port is 0. The host still has to be an address (checked by the caller).
 */
export function splitPeerIP(text: string): { readonly host: string; readonly port: number } {
  const split = splitHostPort(text);
  if (!split) return { host: text, port: 0 };
  const port = parsePortBase0(split.port);
  return port === undefined ? { host: text, port: 0 } : { host: split.host, port };
}

/** net.SplitHostPort. */
function splitHostPort(text: string): { host: string; port: string } | undefined {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  let host: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return undefined;
    if (end + 1 !== colon) return undefined; // "]" must be followed by the last ":"
    host = text.slice(1, end);
    if (text.indexOf('[', 1) >= 0 || text.indexOf(']', end + 1) >= 0) return undefined;
  } else {
    host = text.slice(0, colon);
    if (host.includes(':')) return undefined; // too many colons
    if (host.includes('[') || host.includes(']')) return undefined;
  }
  if (text.slice(colon + 1).includes(']')) return undefined;
  return { host, port: text.slice(colon + 1) };
}

/** confd's HashToIPv4 (CALICO_ROUTER_ID=hash): the first 4 bytes of sha256(nodeName), first octet minus 32 when above 223. */
export function hashRouterId(nodeName: string): string {
  const h = createHash('sha256').update(nodeName, 'utf8').digest();
  const first = h[0] ?? 0;
  return [first > 223 ? first - 32 : first, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0].join('.');
}
