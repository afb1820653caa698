/**
 * BIRD's CLI reply framing (BIRD 1.6.8 and 2.0.12 `nest/cli.c` cli_printf): each reply is a
 * sequence of lines, each `DDDD-text` (more lines follow), ` text` (more lines follow, same code as
 * the line before: BIRD leaves the code out) or `DDDD text` (the last line). Every line ends with
 * `\n`, never `\r\n`. A reply that ends without a message of its own ends with `0000 ` — with the
 * trailing space: `birdc` only takes a line of at least 5 bytes as a code line, and bird_exporter's
 * reader waits for a buffer ending in `\d{4} \n`.
 *
 * A line that does not fit BIRD's 512-byte line buffer is replaced by `8000-<line overflow>` (or
 * `8000 <line overflow>` when final), as BIRD does, and the next line repeats its own code.
 */

/** One line of a reply: its code and its text (the text never holds a newline). */
export interface ReplyLine {
  readonly code: number;
  readonly text: string;
}

/** BIRD's reply codes used here (BIRD `doc/reply_codes`). */
export const Code = {
  OK: 0,
  WELCOME: 1,
  STATUS: 13,
  ROUTE_COUNT: 14,
  ACCESS_RESTRICTED: 16,
  GRACEFUL_RESTART_STATUS: 24,
  VERSION: 1000,
  PROTOCOL_LIST: 1002,
  PROTOCOL_DETAILS: 1006,
  ROUTE_LIST: 1007,
  UPTIME: 1011,
  MEMORY: 1018,
  TABLE_HEADING: 2002,
  REPLY_TOO_LONG: 8000,
  NETWORK_NOT_FOUND: 8001,
  NO_PROTOCOLS_MATCH: 8003,
  ACCESS_DENIED: 8007,
  COMMAND_TOO_LONG: 9000,
  PARSE_ERROR: 9001,
  INVALID_SYMBOL: 9002,
} as const;

/** CLI_LINE_SIZE in BIRD: the code prefix, the text and the newline must fit. */
const LINE_BYTES = 512;
const OVERFLOW = '<line overflow>';

const code4 = (code: number): string => String(code).padStart(4, '0');

/** Newlines and carriage returns in a text would start a line of their own: shown as spaces. */
const oneLine = (text: string): string => text.replace(/[\r\n]/g, ' ');

/**
 * The bytes of one reply. The last line is the final one; every line before it is a continuation.
 * An empty list is the bare `0000 ` (nothing to say but OK).
 */
export function encodeReply(lines: readonly ReplyLine[]): string {
  if (lines.length === 0) return '0000 \n';
  let out = '';
  let last = -1; // the code of the previous line of this reply (BIRD 2: reset after every final line)
  const put = (code: number, text: string, final: boolean): void => {
    const prefix = final ? `${code4(code)} ` : code === last ? ' ' : `${code4(code)}-`;
    last = code;
    out += `${prefix}${text}\n`;
  };
  lines.forEach((l, i) => {
    const final = i === lines.length - 1;
    const text = oneLine(l.text);
    const prefixBytes = final || l.code !== last ? 5 : 1;
    // BIRD formats the text into what is left of the buffer after the prefix, less one byte.
    if (prefixBytes + Buffer.byteLength(text) > LINE_BYTES - 2) {
      last = l.code; // set before the overflow is noticed, as in cli_printf
      put(Code.REPLY_TOO_LONG, OVERFLOW, final);
    } else put(l.code, text, final);
  });
  return out;
}

/** A reply of one final line. */
export const single = (code: number, text: string): string => encodeReply([{ code, text }]);
