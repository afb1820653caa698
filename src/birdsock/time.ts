/**
 * BIRD 1.6's default time formats (conf/conf.c: `tf_proto = tf_route = {"%T", "%F", 20*3600}`,
 * `tf_base = {"%F %T"}`), in the daemon's local time zone as BIRD's localtime() does:
 *
 * - a protocol's `since` and a route's age: `HH:MM:SS` for an event less than 20 hours old, else
 *   `YYYY-MM-DD`; always one word, which Calico's parsers need (they split the row on spaces);
 * - `show status`: `YYYY-MM-DD HH:MM:SS`.
 */

const SHORT_LIMIT_MS = 20 * 3600 * 1000;

const two = (n: number): string => String(n).padStart(2, '0');

/** `%F`: 2026-12-06 (local time). */
export function isoDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

/** `%T`: 05:36:39 (local time). */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** BIRD's `iso short` (protocol since, route age): the time if younger than 20 hours, else the date. */
export const shortTime = (ms: number, nowMs: number): string => (nowMs - ms < SHORT_LIMIT_MS ? isoTime(ms) : isoDate(ms));

/** BIRD's `iso long` (`show status`). */
export const longTime = (ms: number): string => `${isoDate(ms)} ${isoTime(ms)}`;
