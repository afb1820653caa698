import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatIssue } from '../../../src/config/issues.js';
import { loadConfig, parseConfigText } from '../../../src/config/load.js';

const lines = (text: string): string[] => {
  const r = parseConfigText(text);
  return r.ok ? [] : r.issues.map(formatIssue);
};

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wren-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads and validates a file', () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, '{ "routerId": "10.0.0.1", "asn": 65000 }');
    const r = loadConfig(file);
    expect(r.ok && r.value.asn).toBe(65000);
  });

  it('says which file it could not read and why', () => {
    const file = join(dir, 'missing.json');
    const r = loadConfig(file);
    expect(r.ok ? [] : r.issues).toEqual([{ path: '$', message: `cannot read ${file}: ENOENT` }]);
  });

  it('reports a JSON syntax error with line and column', () => {
    expect(lines('{\n  "routerId": "10.0.0.1",\n  "asn": 65000,\n}\n')).toEqual([
      "$: invalid JSON at line 4, column 1: trailing comma before '}'",
    ]);
  });

  it('reports a missing comma at the token that follows it', () => {
    expect(lines('{\n  "routerId": "10.0.0.1"\n  "asn": 65000\n}')).toEqual([
      `$: invalid JSON at line 3, column 3: expected ',' or '}', found "\\""`,
    ]);
  });

  it('reports a key written twice, at the path of the key and the line of the second one', () => {
    expect(lines('{\n  "routerId": "10.0.0.1",\n  "asn": 65000,\n  "kernel": { "table": 254, "table": 100 },\n  "asn": 65001\n}')).toEqual([
      '$.kernel.table: key written twice (again at line 4, column 29); only the last would count',
      '$.asn: key written twice (again at line 5, column 3); only the last would count',
    ]);
  });

  it('refuses nesting deeper than any configuration needs, even when JSON.parse accepts it', () => {
    const deep = `{ "routerId": "10.0.0.1", "asn": 65000, "log": ${'['.repeat(70)}${']'.repeat(70)} }`;
    expect(lines(deep)[0]).toBe('$: at line 1, column 111: nested deeper than 64 levels');
  });

  it('ignores a UTF-8 byte order mark', () => {
    expect(lines('\ufeff{ "routerId": "10.0.0.1", "asn": 65000 }')).toEqual([]);
  });

  it('reports validation problems after parsing', () => {
    expect(lines('{ "routerId": "10.0.0.1", "asn": 0 }')).toEqual(['$.asn: expected an integer 1..4294967295 (got 0)']);
  });
});
