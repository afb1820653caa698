/**
 * A small JSON (RFC 8259) scanner used only to explain a configuration file: where the first
 * syntax error is (line and column, the same on every Node version, whose JSON.parse messages
 * differ), and which object keys appear twice (JSON.parse silently keeps the last one, which
 * would let a pasted-over key pass unnoticed). Parsing itself is JSON.parse.
 */
import type { Path } from './issues.js';

export interface JsonSyntaxError {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface DuplicateKey {
  readonly path: Path;
  readonly line: number;
  readonly column: number;
}

export interface JsonScan {
  readonly syntaxError?: JsonSyntaxError;
  readonly duplicates: readonly DuplicateKey[];
}

/** A configuration is a few levels deep; deeper nesting is refused (and keeps the recursion bounded). */
const MAX_DEPTH = 64;

class Stop extends Error {
  readonly at: number;
  constructor(at: number, message: string) {
    super(message);
    this.at = at;
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

export function scanJson(text: string): JsonScan {
  let pos = 0;
  const duplicates: DuplicateKey[] = [];

  const ws = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text.charAt(pos))) pos++;
  };
  const describe = (): string => (pos >= text.length ? 'end of file' : JSON.stringify(text.charAt(pos)));
  const expect = (ch: string, what: string): void => {
    if (text.charAt(pos) !== ch) throw new Stop(pos, `expected ${what}, found ${describe()}`);
    pos++;
  };

  function string(): string {
    const start = pos;
    expect('"', 'a string');
    let out = '';
    for (;;) {
      if (pos >= text.length) throw new Stop(start, 'unterminated string');
      const c = text.charAt(pos);
      if (c === '"') {
        pos++;
        return out;
      }
      if (text.charCodeAt(pos) < 0x20) throw new Stop(pos, 'control character in string (use \\n, \\t, ...)');
      if (c === '\\') {
        const e = text.charAt(pos + 1);
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) throw new Stop(pos, 'bad \\u escape');
          out += String.fromCharCode(parseInt(text.slice(pos + 2, pos + 6), 16));
          pos += 6;
          continue;
        }
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        const v = simple[e];
        if (v === undefined) throw new Stop(pos, `bad escape \\${e}`);
        out += v;
        pos += 2;
        continue;
      }
      out += c;
      pos++;
    }
  }

  function number(): void {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(pos, pos + 400));
    if (!m) throw new Stop(pos, `expected a value, found ${describe()}`);
    pos += m[0].length;
  }

  function value(path: Path, depth: number): void {
    ws();
    const c = text.charAt(pos);
    if ((c === '{' || c === '[') && depth >= MAX_DEPTH) throw new Stop(pos, `nested deeper than ${MAX_DEPTH} levels`);
    if (c === '{') object(path, depth + 1);
    else if (c === '[') array(path, depth + 1);
    else if (c === '"') string();
    else if (c === '-' || (c >= '0' && c <= '9')) number();
    else {
      const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, pos));
      if (!word) throw new Stop(pos, `expected a value, found ${describe()}`);
      pos += word.length;
    }
    ws();
  }

  function object(path: Path, depth: number): void {
    pos++;
    ws();
    const seen = new Set<string>();
    if (text.charAt(pos) === '}') {
      pos++;
      return;
    }
    for (;;) {
      ws();
      const keyAt = pos;
      if (text.charAt(pos) !== '"') throw new Stop(pos, `expected a key in double quotes, found ${describe()}`);
      const key = string();
      if (seen.has(key)) duplicates.push({ path: [...path, key], ...lineColumn(text, keyAt) });
      seen.add(key);
      ws();
      expect(':', "':' after the key");
      value([...path, key], depth);
      if (text.charAt(pos) === ',') {
        pos++;
        ws();
        if (text.charAt(pos) === '}') throw new Stop(pos, "trailing comma before '}'");
        continue;
      }
      expect('}', "',' or '}'");
      return;
    }
  }

  function array(path: Path, depth: number): void {
    pos++;
    ws();
    if (text.charAt(pos) === ']') {
      pos++;
      return;
    }
    for (let i = 0; ; i++) {
      value([...path, i], depth);
      if (text.charAt(pos) === ',') {
        pos++;
        ws();
        if (text.charAt(pos) === ']') throw new Stop(pos, "trailing comma before ']'");
        continue;
      }
      expect(']', "',' or ']'");
      return;
    }
  }

  try {
    value([], 0);
    if (pos < text.length) throw new Stop(pos, `unexpected ${describe()} after the end of the document`);
    return { duplicates };
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { syntaxError: { ...lineColumn(text, e.at), message: e.message }, duplicates };
  }
}
