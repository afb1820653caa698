/**
 * BIRD's reply framing (src/birdsock/reply.ts): every reply BIRD 1.6.8 sent in the captures,
 * decoded into (code, text) lines and encoded again, is the same bytes; a line too long for BIRD's
 * buffer becomes `8000-<line overflow>` exactly where BIRD put it.
 */
import { describe, expect, it } from 'vitest';
import { encodeReply, single, type ReplyLine } from '../../../src/birdsock/reply.js';
import { capture, reply } from './captures.js';

/** A reply's bytes as (code, text) lines: `DDDD-`/`DDDD ` carry a code, ` ` continues the previous one. */
function decode(bytes: string): ReplyLine[] {
  const out: ReplyLine[] = [];
  let code = -1;
  for (const line of bytes.split('\n').slice(0, -1)) {
    const m = /^(\d{4})[ -]/.exec(line);
    if (m) {
      code = Number(m[1]);
      out.push({ code, text: line.slice(5) });
    } else {
      expect(line.startsWith(' '), line).toBe(true);
      out.push({ code, text: line.slice(1) });
    }
  }
  return out;
}

describe('BIRD reply framing', () => {
  const replies = [...capture('b1a.raw'), ...capture('b1a-gr.raw'), ...capture('b1a-misc.raw')].filter(([cmd, r]) => cmd !== 'help' && !r.includes('<<'));

  it.each(replies.map(([cmd, r]) => [cmd, r] as const))('re-encodes BIRD 1.6.8 reply to %s byte for byte', (_cmd, bytes) => {
    expect(encodeReply(decode(bytes))).toBe(bytes);
  });

  it('ends a reply with nothing to say with "0000 " (trailing space: birdc and bird_exporter need it)', () => {
    expect(encodeReply([])).toBe('0000 \n');
    expect(encodeReply([{ code: 0, text: '' }])).toBe('0000 \n');
  });

  it('repeats the code when it changes back (1007 -> 1008 -> 1007)', () => {
    expect(encodeReply([{ code: 1007, text: 'a' }, { code: 1008, text: 'b' }, { code: 1007, text: 'c' }, { code: 1007, text: 'd' }, { code: 0, text: '' }])).toBe('1007-a\n1008-b\n1007-c\n d\n0000 \n');
  });

  it('never lets a newline in a text start a line of its own', () => {
    expect(single(13, 'up\nand\r\nrunning')).toBe('0013 up and  running\n');
  });

  it('replaces a line too long for BIRD (512 bytes with prefix and newline) as BIRD 1.6.8 did', () => {
    const bytes = reply('b1min-long.raw', 'show protocols all device1');
    const lines = decode(bytes).map((l) => (l.code === 8000 ? { code: 1006, text: `  Description:    ${'x'.repeat(600)}` } : l));
    expect(encodeReply(lines)).toBe(bytes);
    // The longest text that still fits after a "DDDD-" prefix is 505 bytes.
    expect(encodeReply([{ code: 1006, text: 'y'.repeat(505) }, { code: 0, text: '' }])).toBe(`1006-${'y'.repeat(505)}\n0000 \n`);
    expect(encodeReply([{ code: 1006, text: 'y'.repeat(506) }, { code: 0, text: '' }])).toBe('8000-<line overflow>\n0000 \n');
    expect(encodeReply([{ code: 13, text: 'z'.repeat(600) }])).toBe('8000 <line overflow>\n');
  });
});
