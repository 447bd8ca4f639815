import pg from 'pg';

/** PostgreSQL's type OID of `timestamptz`. */
const TIMESTAMPTZ = 1184;

const DASH = 45;
const SPACE = 32;
const COLON = 58;
const DOT = 46;
const PLUS = 43;

/** Seconds in an offset's hours, minutes and seconds. */
const OFFSET_UNITS = [3600, 60, 1] as const;

/** The number in `count` decimal digits at `start`, or -1 when one of them is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Reads a `timestamptz` as PostgreSQL writes it in its ISO style, `2026-12-02 10:11:12.345678+00`
 * (the offset may also be `+05:30` or `-00:53:28`), without the regular expressions and
 * intermediate strings of pg's own parser (postgres-date), which were 7 % of the CPU of a REST page
 * of 50 hubs. The value is the same to the millisecond; anything else (years before 1000 or after
 * 9999, BC, infinity) goes to pg's own parser.
 */
export function parseTimestamptz(text: string): Date {
  const fast = text.length >= 22 ? quickly(text) : undefined;
  return fast ?? (pg.types.getTypeParser(TIMESTAMPTZ, 'text')(text) as Date);
}

function quickly(text: string): Date | undefined {
  if (text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(10) !== SPACE || text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) {
    return undefined;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 1000 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  let at = 19;
  let milliseconds = 0;
  if (text.charCodeAt(at) === DOT) {
    // Microseconds at most; the first three digits are the milliseconds, the rest is cut off.
    const start = ++at;
    while (at < text.length && at - start < 6 && digits(text, at, 1) >= 0) at++;
    if (at === start) return undefined;
    for (let i = start; i < start + 3; i++) milliseconds = milliseconds * 10 + (i < at ? text.charCodeAt(i) - 48 : 0);
  }
  const sign = text.charCodeAt(at) === PLUS ? 1 : text.charCodeAt(at) === DASH ? -1 : 0;
  if (sign === 0) return undefined;
  let offsetSeconds = 0;
  let part = 0;
  at++;
  // ±HH, then optionally :MM and :SS.
  for (; part < 3 && at < text.length; part++) {
    if (part > 0 && text.charCodeAt(at++) !== COLON) return undefined;
    const value = digits(text, at, 2);
    if (value < 0) return undefined;
    offsetSeconds += value * OFFSET_UNITS[part]!;
    at += 2;
  }
  if (part === 0 || at !== text.length) return undefined;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, milliseconds) - sign * offsetSeconds * 1000);
}

/** pg's type parsers with `timestamptz` read by `parseTimestamptz`: a pool's or a query's `types`. */
export const databaseTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === TIMESTAMPTZ && format !== 'binary') return parseTimestamptz;
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
};
