import { randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor, type HubOrder } from '../../src/hubs/hub.cursor';
import { checkConnectionRequest } from '../../src/hubs/hub.rules';

const BY_CREATION: HubOrder = { field: 'createdAt', direction: 'asc' };
const payload = (items: unknown[]) => Buffer.from(JSON.stringify(items)).toString('base64url');

describe('connection cursors', () => {
  test('when a cursor is made and read in its order, then it gives back the place exactly, to the microsecond', () => {
    const position = { key: '2026-12-02T13:24:05.123456Z', hubId: randomUUID() };
    expect(decodeCursor(encodeCursor(BY_CREATION, position), BY_CREATION)).toEqual(position);
    const name = { key: 'stra\u00dfe \u{1f600} "quoted"', hubId: randomUUID() };
    expect(decodeCursor(encodeCursor({ field: 'name', direction: 'desc' }, name), { field: 'name', direction: 'desc' })).toEqual(name);
  });

  test('when a cursor is read in another order, then it is of another order, not malformed', () => {
    const cursor = encodeCursor(BY_CREATION, { key: '2026-12-02T13:24:05.123456Z', hubId: randomUUID() });
    expect(decodeCursor(cursor, { field: 'createdAt', direction: 'desc' })).toBe('otherOrder');
    expect(decodeCursor(cursor, { field: 'updatedAt', direction: 'asc' })).toBe('otherOrder');
  });

  test.each([
    ['not a string', 42],
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['too long', 'A'.repeat(2049)],
    ['not JSON', Buffer.from('{nope').toString('base64url')],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x5b]).toString('base64url')],
    ['of format 2', payload([2, 'c', 'a', '2026-01-01T00:00:00.000000Z', randomUUID()])],
    ['an unknown field', payload([1, 'x', 'a', '2026-01-01T00:00:00.000000Z', randomUUID()])],
    ['a timestamp in milliseconds', payload([1, 'c', 'a', '2026-01-01T00:00:00.000Z', randomUUID()])],
    ['a day that does not exist', payload([1, 'c', 'a', '2026-02-30T00:00:00.000000Z', randomUUID()])],
    ['a malformed hub id', payload([1, 'c', 'a', '2026-01-01T00:00:00.000000Z', 'x'])],
    ['a name key with U+0000', payload([1, 'n', 'a', 'a\u0000', randomUUID()])],
    ['extra items', payload([1, 'c', 'a', '2026-01-01T00:00:00.000000Z', randomUUID(), 1])],
  ])('when a cursor is %s, then it is malformed', (_case, cursor) => {
    expect(decodeCursor(cursor, BY_CREATION)).toBe('malformed');
  });
});

describe('checkConnectionRequest', () => {
  test('when nothing is given, then it is the first 50 in creation order, forward', () => {
    expect(checkConnectionRequest({})).toEqual({ order: BY_CREATION, filter: {}, size: 50, backward: false });
  });

  test('when last and before are given, then it pages backward from the cursor', () => {
    const hubId = randomUUID();
    const before = encodeCursor(BY_CREATION, { key: '2026-01-01T00:00:00.000000Z', hubId });
    expect(checkConnectionRequest({ last: 3, before })).toMatchObject({ size: 3, backward: true, cursor: { hubId } });
  });

  test('when every argument is wrong, then each is named once', () => {
    expect(() => checkConnectionRequest({ first: 1.5, last: 0, after: 'x', filter: { nameContains: '' } })).toThrow(
      expect.objectContaining({ problems: ['last', 'after', 'nameContains'].map((property) => expect.objectContaining({ property })) }),
    );
  });
});
