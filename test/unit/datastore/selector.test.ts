import { describe, expect, it } from 'vitest';
import { evaluateSelector, parseSelector, type Labels } from '../../../src/datastore/selector.js';

function matches(selector: string, labels: Labels): boolean {
  const p = parseSelector(selector);
  if (!p.ok) throw new Error(`${selector}: ${p.error} at ${p.position}`);
  return evaluateSelector(p.selector, labels);
}

/** [selector, labels that match, labels that do not]: the cases of Calico's own parser tests, and more. */
const CASES: readonly (readonly [string, readonly Labels[], readonly Labels[]])[] = [
  ['a == "b"', [{ a: 'b' }, { a: 'b', c: 'd' }], [{ a: 'c' }, { c: 'd' }, {}]],
  ['a == "b" && c == "d"', [{ a: 'b', c: 'd' }], [{ a: 'b', c: 'e' }, { a: 'c', c: 'd' }, { c: 'd' }, { a: 'b' }]],
  ['a == "b" || c == "d"', [{ a: 'b', c: 'd' }, { a: 'b' }, { c: 'd' }], [{ a: 'e', c: 'e' }, { c: 'e' }, { a: 'e' }]],
  [`a in {"'", '"', "c"}`, [{ a: 'c' }, { a: '"' }, { a: "'" }], [{ a: 'e' }, {}]],
  [`a not in {"'", '"', "c"}`, [{ a: 'e' }, {}], [{ a: 'c' }, { a: '"' }, { a: "'" }]],
  ["a == 'a'", [{ a: 'a' }], [{ a: 'b' }, {}]],
  ['a != "b"', [{ a: 'a' }, {}], [{ a: 'b' }]],
  ['a != "a"', [{}], [{ a: 'a' }]],
  ['a contains "a"', [{ a: 'a' }, { a: 'bab' }, { a: 'aaa', b: 'c' }], [{ a: 'b' }, { b: 'aaa' }]],
  ['a starts with "a"', [{ a: 'a' }, { a: 'abb' }], [{ a: 'b' }, { a: 'baa' }, { b: 'aaa' }]],
  ['a ends with "a"', [{ a: 'a' }, { a: 'bba' }], [{ a: 'b' }, { a: 'aab' }, { b: 'aaa' }]],
  ['a startswith "a"', [{ a: 'ab' }], [{ a: 'ba' }]],
  ['a endswith "a"', [{ a: 'ba' }], [{ a: 'ab' }]],
  ['a notin {"x"}', [{ a: 'y' }, {}], [{ a: 'x' }]],
  ['a   not   in {"x"}', [{ a: 'y' }], [{ a: 'x' }]],
  ['!a in {"a"}', [{ a: 'b' }, {}], [{ a: 'a' }]],
  ['a in {"a", "b"}', [{ a: 'a' }, { a: 'b' }], [{ a: 'c' }]],
  ['a in {"a", "b",}', [{ a: 'b' }], [{ a: 'c' }]],
  ['a in {}', [], [{ a: '' }, {}]],
  ['a not in {}', [{ a: 'x' }, {}], []],
  ['has(a)', [{ a: 'b' }, { a: '' }], [{ b: 'b' }]],
  ['has( a )', [{ a: 'b' }], [{}]],
  ['!has(a)', [{ b: 'b' }], [{ a: 'b' }]],
  ['', [{}, { a: 'b' }], []],
  [' ', [{}], []],
  ['all()', [{}, { a: 'b' }], []],
  [' all( ) ', [{}], []],
  ['global()', [{}], []],
  ['!!has(b)', [{ b: 'x' }], [{ a: 'b' }]],
  ['! has(a)', [{ b: 'x' }], [{ a: 'b' }]],
  ['!!! has(a)', [{}], [{ a: 'b' }]],
  ['!! ! has(a)', [{}], [{ a: 'b' }]],
  ["a == 'a1' && b != 'b1'", [{ a: 'a1', b: 'b2' }], [{ a: 'a1', b: 'b1' }]],
  ["a != 'a1' && !b == 'b1'", [{}], [{ a: 'a1', b: 'b1' }]],
  ['has(a) && !has(b)', [{ a: 'a' }], [{ a: 'a', b: 'b' }]],
  ['!(!has(a) || has(b))', [{ a: 'a' }], [{ b: 'b' }, { a: 'a', b: 'b' }]],
  ["! a == 'a1' || ! b == 'b1'", [{ a: 'a1' }], [{ a: 'a1', b: 'b1' }]],
  // && binds tighter than ||.
  ["a == '1' || b == '1' && c == '1'", [{ a: '1' }, { b: '1', c: '1' }], [{ b: '1' }]],
  ["(a == '1' || b == '1') && c == '1'", [{ a: '1', c: '1' }], [{ a: '1' }]],
  // Labels with the characters Kubernetes label keys use.
  ["kubernetes.io/hostname == 'node-1'", [{ 'kubernetes.io/hostname': 'node-1' }], [{ 'kubernetes.io/hostname': 'node-2' }]],
  ["route-reflector == 'true'", [{ 'route-reflector': 'true' }], [{ 'route-reflector': 'false' }]],
  // A label may be named like a keyword.
  ["has == 'x'", [{ has: 'x' }], [{}]],
  ['a==\'x\'&&b!="y"', [{ a: 'x' }], [{ a: 'x', b: 'y' }]],
  ['a\t==\t"x"', [{ a: 'x' }], []],
  ['a in{"x"}', [{ a: 'x' }], []],
];

describe('Calico selectors: evaluation', () => {
  for (const [selector, yes, no] of CASES) {
    it(JSON.stringify(selector), () => {
      for (const labels of yes) expect(matches(selector, labels), JSON.stringify(labels)).toBe(true);
      for (const labels of no) expect(matches(selector, labels), JSON.stringify(labels)).toBe(false);
    });
  }

  it('a label that is only an inherited object property is missing', () => {
    expect(matches('has(toString)', {})).toBe(false);
    expect(matches("constructor != 'x'", {})).toBe(true);
  });
});

/** [selector, position, part of the message]. */
const ERRORS: readonly (readonly [string, number, string])[] = [
  ['foo == "bar" &', 13, 'expected &&'],
  ['foo == "bar" |', 13, 'expected ||'],
  ['foo != ||', 7, 'expected a quoted string'],
  ['foo in {"", ||', 12, 'expected "}"'],
  ['foo in ""', 7, 'expected a set literal'],
  ['"FOO', 0, 'unterminated string'],
  [`"FOO'`, 0, 'unterminated string'],
  ["'FOO", 0, 'unterminated string'],
  ['(', 1, 'unexpected end of selector'],
  ['(a == "foo"', 11, 'expected ")"'],
  [')', 0, 'unexpected ")"'],
  ['()', 1, 'unexpected ")"'],
  ['%', 0, 'expected identifier'],
  ['a == "b" && %', 12, 'expected identifier'],
  ['a == "b" || %', 12, 'expected identifier'],
  ['a ', 2, 'after label "a", got end of selector'],
  ['a', 1, 'after label "a", got end of selector'],
  ['has(foo) &&', 11, 'unexpected end of selector'],
  ['a = "b"', 2, 'expected =='],
  ['a == b', 5, 'expected a quoted string, got label "b"'],
  ['a == "b" c', 9, 'unexpected content at end of selector: label "c"'],
  ['a == "b" c d', 11, 'after label "c", got "d"'],
  ['a == "b" has(c)', 9, 'unexpected content at end of selector: has(c)'],
  ['has(a', 5, "no closing ')' after has("],
  ['has()', 4, 'expected identifier'],
  ['all(x)', 4, "no closing ')' after all("],
  ['global(', 7, "no closing ')' after global("],
  // The call keywords are written without a space before "(".
  ['has (a)', 4, 'after label "has"'],
  ['all ()', 4, 'after label "all"'],
  // Only space and tab are white space.
  ['a == "b"\n', 8, 'expected identifier'],
  ['a containsx "b"', 2, 'after label "a"'],
  ['a in {"x" "y"}', 10, 'expected "}"'],
  [`${'x'.repeat(513)} == 'a'`, 0, 'label too long'],
];

describe('Calico selectors: errors with their position', () => {
  for (const [selector, position, message] of ERRORS) {
    it(JSON.stringify(selector.length > 40 ? `${selector.slice(0, 37)}...` : selector), () => {
      const p = parseSelector(selector);
      expect(p.ok).toBe(false);
      if (p.ok) return;
      expect(p.error).toContain(message);
      expect(p.position).toBe(position);
    });
  }

  it('a label of 512 characters is accepted', () => {
    expect(matches(`${'x'.repeat(512)} == 'a'`, { ['x'.repeat(512)]: 'a' })).toBe(true);
  });
});
