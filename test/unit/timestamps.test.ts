import pg from 'pg';
import { databaseTypes, parseTimestamptz } from '../../src/db/timestamps';

/** pg's own reading of a timestamptz (postgres-date), which ours must equal. */
const pgOwn = pg.types.getTypeParser(1184, 'text') as (text: string) => Date | number | null;
const same = (text: string) => expect(parseTimestamptz(text)).toEqual(pgOwn(text));

describe('timestamptz as PostgreSQL writes it', () => {
  test.each([
    '2026-12-02 10:11:12+00',
    '2026-12-02 10:11:12.5+00',
    '2026-12-02 10:11:12.345+00',
    '2026-12-02 10:11:12.345678+00',
    '2026-12-02 10:11:12.999999+00',
    '2026-01-01 00:00:00.000001+00',
    '2024-02-29 23:59:59.123456+05:30',
    '2026-12-02 00:30:00-09:30',
    '1883-11-18 12:00:00-05:17:32',
    '1000-01-01 00:00:00+00',
    '9999-12-31 23:59:59.999999+14',
  ])('when it reads %s, then it is the instant pg itself reads', (text) => {
    same(text);
  });

  test('when the instants are many and random, then every one equals pg\'s own reading', () => {
    const pad = (value: number, width = 2) => String(value).padStart(width, '0');
    for (let i = 0; i < 5000; i++) {
      const instant = new Date(Date.UTC(1000, 0, 1) + Math.floor(Math.random() * (Date.UTC(9999, 0, 1) - Date.UTC(1000, 0, 1))));
      const fraction = Math.random() < 0.2 ? '' : `.${String(Math.floor(Math.random() * 1_000_000)).padStart(6, '0').slice(0, 1 + Math.floor(Math.random() * 6))}`;
      const offsetMinutes = [0, 0, 60, -300, 330, -570, 765][i % 7]!;
      const sign = offsetMinutes < 0 ? '-' : '+';
      const zone = `${sign}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}${Math.abs(offsetMinutes) % 60 === 0 ? '' : `:${pad(Math.abs(offsetMinutes) % 60)}`}`;
      const text =
        `${pad(instant.getUTCFullYear(), 4)}-${pad(instant.getUTCMonth() + 1)}-${pad(instant.getUTCDate())} ` +
        `${pad(instant.getUTCHours())}:${pad(instant.getUTCMinutes())}:${pad(instant.getUTCSeconds())}${fraction}${zone}`;
      same(text);
    }
  });

  test.each(['infinity', '-infinity', '0099-06-01 12:00:00+00', '0044-03-15 12:00:00+00 BC', '12026-12-02 10:11:12+00', '2026-12-02 10:11:12', '2026-12-02T10:11:12Z'])(
    'when it reads %s, which is past the quick path, then pg itself reads it',
    (text) => {
      same(text);
    },
  );
});

describe('the type parsers a pool is given', () => {
  test('when a column is a timestamptz in text, then it is read by the quick parser; any other type by pg\'s own', () => {
    expect(databaseTypes.getTypeParser(1184, 'text')).toBe(parseTimestamptz);
    expect(databaseTypes.getTypeParser(23, 'text')).toBe(pg.types.getTypeParser(23, 'text'));
    expect(databaseTypes.getTypeParser(1114, 'text')).toBe(pg.types.getTypeParser(1114, 'text'));
  });
});
