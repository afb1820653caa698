import { describe, expect, it } from 'vitest';
import { formatIssue, formatPath, showValue, unknownKeyMessage } from '../../../src/config/issues.js';

describe('issue paths and lines', () => {
  it('writes JSON paths with dots, indexes, and quoted odd keys', () => {
    expect(formatPath([])).toBe('$');
    expect(formatPath(['peers', 1, 'asn'])).toBe('$.peers[1].asn');
    expect(formatPath(['policies', 'to tor', 'rules', 0])).toBe('$.policies["to tor"].rules[0]');
  });

  it('prints the offending value as JSON after "got"', () => {
    expect(formatIssue({ path: '$.peers[1].asn', message: 'expected an integer 1..4294967295', value: '65001' })).toBe(
      '$.peers[1].asn: expected an integer 1..4294967295 (got "65001")',
    );
    expect(formatIssue({ path: '$.asn', message: 'required' })).toBe('$.asn: required');
  });

  it('shortens long values', () => {
    expect(showValue('x'.repeat(100))).toHaveLength(60);
  });

  it('suggests a known key only when it is close', () => {
    expect(unknownKeyMessage('holdtime', ['holdTime', 'port'])).toBe('unknown key (did you mean "holdTime"?)');
    expect(unknownKeyMessage('colour', ['holdTime', 'port'])).toBe('unknown key');
  });
});
