import { describe, expect, it } from 'vitest';
import { lineColumn, scanJson } from '../../../src/config/json-syntax.js';

const errorOf = (text: string): string | undefined => {
  const e = scanJson(text).syntaxError;
  return e && `${e.line}:${e.column} ${e.message}`;
};

describe('scanJson', () => {
  it('accepts every kind of JSON value', () => {
    expect(errorOf('{"a":[1,-2.5e3,"x\\n\\u00e9",true,false,null,{}],"b":[]}')).toBeUndefined();
  });

  it.each([
    ['', '1:1 expected a value, found end of file'],
    ['{"a":1', "1:7 expected ',' or '}', found end of file"],
    ['{"a" 1}', "1:6 expected ':' after the key, found \"1\""],
    ['{a:1}', '1:2 expected a key in double quotes, found "a"'],
    ['[1,2,]', "1:6 trailing comma before ']'"],
    ['{"a":tru}', '1:6 expected a value, found "t"'],
    ['{"a":"x\ny"}', '1:8 control character in string (use \\n, \\t, ...)'],
    ['{"a":"\\x"}', '1:7 bad escape \\x'],
    ['{"a":"\\u12"}', '1:7 bad \\u escape'],
    ['{"a":"open', '1:6 unterminated string'],
    ['{"a":1} x', '1:9 unexpected "x" after the end of the document'],
    ['[01]', '1:3 expected \',\' or \']\', found "1"'],
    ['// comment\n{}', '1:1 expected a value, found "/"'],
  ])('locates the error in %j', (text, expected) => {
    expect(errorOf(text)).toBe(expected);
  });

  it('refuses nesting deeper than 64 levels without overflowing the stack', () => {
    expect(errorOf(`${'['.repeat(100000)}`)).toBe('1:65 nested deeper than 64 levels');
  });

  it('lists duplicate keys with their paths, including inside arrays', () => {
    const scan = scanJson('{"peers":[{"asn":1},{"asn":1,"asn":2}]}');
    expect(scan.duplicates).toEqual([{ path: ['peers', 1, 'asn'], line: 1, column: 30 }]);
  });

  it('treats keys equal after unescaping as duplicates', () => {
    expect(scanJson('{"a":1,"\\u0061":2}').duplicates.map((d) => d.path)).toEqual([['a']]);
  });

  it('counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
