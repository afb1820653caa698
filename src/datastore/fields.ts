/**
 * Reading the fields of one stored JSON object the way Go's encoding/json fills a struct: a
 * missing key and `null` both leave the zero value (here: undefined), unknown keys are ignored, a
 * value of the wrong type is an error. Each reader records its problem ("spec.asNumber: expected
 * ...") in the caller's list and returns undefined; a resource with any problem is skipped whole
 * (a Go client fails to decode it the same way). Pure.
 */
import { formatAddress, parseAddress, parsePrefix, formatPrefix } from '../util/inet.js';
import { parseAsNumber, parseGoDuration } from './go-values.js';
import { parseSelector, formatSelectorError, type SelectorNode } from './selector.js';

export type JsonObject = Readonly<Record<string, unknown>>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A field reader over one object at a path ("spec.bgp"), collecting problems. */
export class Fields {
  readonly #obj: JsonObject;
  readonly #path: string;
  readonly #problems: string[];

  constructor(obj: JsonObject, path: string, problems: string[]) {
    this.#obj = obj;
    this.#path = path;
    this.#problems = problems;
  }

  /** Path of this object ("spec.importV4[2]"). */
  get path(): string {
    return this.#path;
  }

  /** Path of a field, for messages. */
  at(name: string): string {
    return this.#path === '' ? name : `${this.#path}.${name}`;
  }

  /** Records a problem at a field (name "" = this object). */
  problem(name: string, message: string): undefined {
    this.#problems.push(`${name === '' ? this.#path || '$' : this.at(name)}: ${message}`);
    return undefined;
  }

  /** The raw value; null counts as absent. */
  raw(name: string): unknown {
    const v = Object.hasOwn(this.#obj, name) ? this.#obj[name] : undefined;
    return v === null ? undefined : v;
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  /** A nested object (absent: an empty reader, as Go leaves a zero struct). */
  object(name: string): Fields | undefined {
    const v = this.raw(name);
    if (v === undefined) return new Fields({}, this.at(name), this.#problems);
    if (!isObject(v)) return this.problem(name, `expected an object (got ${show(v)})`);
    return new Fields(v, this.at(name), this.#problems);
  }

  string(name: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined || typeof v === 'string') return v;
    return this.problem(name, `expected a string (got ${show(v)})`);
  }

  /** A string that is empty when absent (Go's zero value), for fields where "" means unset. */
  text(name: string): string {
    return this.string(name) ?? '';
  }

  bool(name: string): boolean | undefined {
    const v = this.raw(name);
    if (v === undefined || typeof v === 'boolean') return v;
    return this.problem(name, `expected true or false (got ${show(v)})`);
  }

  int(name: string, min: number, max: number): number | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    return this.problem(name, `expected an integer ${min}..${max} (got ${show(v)})`);
  }

  /** One of the given strings; "" (Go's zero value) counts as absent. */
  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined || v === '') return undefined;
    if ((values as readonly string[]).includes(v)) return v as T;
    return this.problem(name, `expected one of ${values.map((x) => JSON.stringify(x)).join(', ')} (got ${show(v)})`);
  }

  asNumber(name: string): number | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    const p = parseAsNumber(v);
    return p.ok ? p.value : this.problem(name, p.error);
  }

  /** A Go duration string, in seconds; negative durations are refused. */
  duration(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const p = parseGoDuration(v);
    if (!p.ok) return this.problem(name, p.error);
    if (p.value < 0) return this.problem(name, `must not be negative (got ${show(v)})`);
    return p.value;
  }

  /** A selector; "" is absent (the caller decides what absent means). */
  selector(name: string): { readonly text: string; readonly node: SelectorNode } | undefined {
    const text = this.string(name);
    if (text === undefined || text === '') return undefined;
    const p = parseSelector(text);
    if (!p.ok) return this.problem(name, formatSelectorError(text, p.error, p.position));
    return { text, node: p.selector };
  }

  strings(name: string): string[] | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return [...(v as string[])];
    return this.problem(name, `expected an array of strings (got ${show(v)})`);
  }

  /** An array of objects, each as a reader ("spec.importV4[2]"). */
  objects(name: string): Fields[] | undefined {
    const v = this.raw(name);
    if (v === undefined) return [];
    if (!Array.isArray(v)) return this.problem(name, `expected an array (got ${show(v)})`);
    const out: Fields[] = [];
    v.forEach((item: unknown, i) => {
      if (isObject(item)) out.push(new Fields(item, `${this.at(name)}[${i}]`, this.#problems));
      else this.#problems.push(`${this.at(name)}[${i}]: expected an object (got ${show(item)})`);
    });
    return out;
  }

  /** A string map (metadata.labels). */
  stringMap(name: string): Record<string, string> | undefined {
    const v = this.raw(name);
    if (v === undefined) return {};
    if (isObject(v) && Object.values(v).every((x) => typeof x === 'string')) return { ...(v as Record<string, string>) };
    return this.problem(name, `expected an object of strings (got ${show(v)})`);
  }
}

export function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export interface ParsedAddress {
  /** Canonical text (Go's net.IP String(): dotted quad, RFC 5952). */
  readonly address: string;
  readonly family: 4 | 6;
}

/** An IP literal of the given family, as canonical text. */
export function readAddress(text: string, family?: 4 | 6): ParsedAddress | string {
  const a = parseAddress(text);
  if (a === null) return `expected an IP address (got ${show(text)})`;
  if (family !== undefined && a.family !== family) return `expected an IPv${family} address (got ${show(text)})`;
  return { address: formatAddress(a.bytes), family: a.family };
}

export interface ParsedCidr {
  /** Canonical network text ("10.65.0.0/26"). */
  readonly cidr: string;
  readonly family: 4 | 6;
  readonly len: number;
  readonly maxLen: 32 | 128;
}

/** A CIDR as Go's net.ParseCIDR reads it: the network is the masked address (host bits allowed). */
export function readCidr(text: string, family?: 4 | 6): ParsedCidr | string {
  const p = parsePrefix(text);
  if (p === null) return `expected a CIDR such as "10.65.0.0/16" or "fd00::/48" (got ${show(text)})`;
  if (family !== undefined && p.family !== family) return `expected an IPv${family} CIDR (got ${show(text)})`;
  return { cidr: formatPrefix(p), family: p.family, len: p.len, maxLen: p.family === 4 ? 32 : 128 };
}

/** libcalico-go's ParseCIDROrIP: "a.b.c.d/len" or a bare address (then /32 or /128); the host address and its network. */
export function readCidrOrIp(text: string, family: 4 | 6): { readonly address: string; readonly network: string } | string {
  const slash = text.indexOf('/');
  const addr = readAddress(slash < 0 ? text : text.slice(0, slash), family);
  if (typeof addr === 'string') return `expected an IPv${family} address or CIDR (got ${show(text)})`;
  const net = readCidr(slash < 0 ? `${text}/${family === 4 ? 32 : 128}` : text, family);
  if (typeof net === 'string') return `expected an IPv${family} address or CIDR (got ${show(text)})`;
  return { address: addr.address, network: net.cidr };
}
