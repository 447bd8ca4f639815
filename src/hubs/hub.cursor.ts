import { isGuid } from '../common/guid';
import { isStorableText } from '../common/text';

/** What a connection of hubs can be ordered by; every order ends with the hub id, so it is total. */
export type HubOrderField = 'createdAt' | 'updatedAt' | 'name';
export type SortDirection = 'asc' | 'desc';

export interface HubOrder {
  readonly field: HubOrderField;
  readonly direction: SortDirection;
}

/**
 * A place in an order: the order key of a hub and its id. The key is text, exactly as PostgreSQL
 * gave it: a timestamp in UTC to the microsecond (`2026-12-02T13:24:05.123456Z`; a JavaScript Date
 * would drop the last three digits and make the next page repeat or skip hubs), or a name key.
 */
export interface Position {
  readonly key: string;
  readonly hubId: string;
}

/**
 * Cursors are opaque to clients, but versioned for us: a later format can still read, or at least
 * clearly refuse, the cursors clients hold. Format 1 is base64url of JSON
 * `[1, field, direction, key, hubId]`, with one-letter field and direction codes.
 */
const FORMAT = 1;
const FIELD_CODES: Readonly<Record<HubOrderField, string>> = { createdAt: 'c', updatedAt: 'u', name: 'n' };
const DIRECTION_CODES: Readonly<Record<SortDirection, string>> = { asc: 'a', desc: 'd' };

/**
 * Longer than any cursor this gateway makes (a name key is at most a few hundred characters), so
 * decoding stays cheap whatever a client sends.
 */
const MAX_CURSOR_LENGTH = 2048;
const MAX_KEY_LENGTH = 600;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.\d{6}Z$/;

export function encodeCursor(order: HubOrder, position: Position): string {
  const payload = [FORMAT, FIELD_CODES[order.field], DIRECTION_CODES[order.direction], position.key, position.hubId];
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** Why a cursor cannot be used: it is not one of ours, or it was made for another order. */
export type CursorFault = 'malformed' | 'otherOrder';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The position a cursor marks in `order`, or why it marks none. */
export function decodeCursor(cursor: unknown, order: HubOrder): Position | CursorFault {
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) return 'malformed';
  let payload: unknown;
  try {
    payload = JSON.parse(UTF8.decode(Buffer.from(cursor, 'base64url')));
  } catch {
    return 'malformed';
  }
  if (!Array.isArray(payload) || payload.length !== 5 || payload[0] !== FORMAT) return 'malformed';
  const [, fieldCode, directionCode, key, hubId] = payload as unknown[];
  const field = codeOf(FIELD_CODES, fieldCode);
  const direction = codeOf(DIRECTION_CODES, directionCode);
  if (field === undefined || direction === undefined || !isGuid(hubId) || !isKeyOf(field, key)) return 'malformed';
  if (field !== order.field || direction !== order.direction) return 'otherOrder';
  return { key, hubId: hubId.toLowerCase() };
}

function codeOf<T extends string>(codes: Readonly<Record<T, string>>, code: unknown): T | undefined {
  return (Object.keys(codes) as T[]).find((name) => codes[name] === code);
}

/** A key PostgreSQL will read as the field's type: a real instant, or storable text. */
function isKeyOf(field: HubOrderField, key: unknown): key is string {
  if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH) return false;
  // Text PostgreSQL can take as a parameter: no U+0000 and no unpaired surrogate.
  if (field === 'name') return isStorableText(key);
  const match = TIMESTAMP.exec(key);
  if (match === null) return false;
  // 2026-02-30 matches the pattern but is no date: the round trip through Date tells.
  const instant = new Date(`${match[1]}Z`);
  return !Number.isNaN(instant.getTime()) && instant.toISOString().startsWith(match[1]!);
}
