import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database';
import { RequestTimeoutError, ServiceUnavailableError } from '../../src/errors/domain-error';
import { sql, testBudget, testDatabase } from '../support/database';

/** The gateway's one way to PostgreSQL (src/db/database.ts), below any route. */
let database: Database;

beforeAll(() => {
  database = testDatabase(2);
});
afterAll(() => database.close());

const work = (timeoutMs = 10_000, tenantId: string = randomUUID()) => ({ tenantId, ...testBudget(timeoutMs) });

test('when a transaction starts, then PostgreSQL is given only the time left before the deadline', async () => {
  const [row] = await database.transaction(work(3000), (transaction) =>
    transaction.query({ text: "SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock" }, []),
  );
  for (const setting of [row!.statement, row!.lock] as string[]) {
    const ms = setting.endsWith('ms') ? Number(setting.slice(0, -2)) : Number(setting.slice(0, -1)) * 1000;
    expect(ms).toBeGreaterThan(2000);
    expect(ms).toBeLessThanOrEqual(3000);
  }
});

test('when a statement is still running at the deadline, then it is cancelled at once and its connection is never reused', async () => {
  expect(database.counts()).toMatchObject({ totalCount: 1, idleCount: 1 });
  const running = work(300);
  const started = performance.now();
  const sleeper = database.query(running, { text: 'SELECT pg_sleep(5), pg_backend_pid() AS pid' }, []);
  await expect(sleeper).rejects.toBeInstanceOf(RequestTimeoutError);
  expect(performance.now() - started).toBeLessThan(1500);
  // The cancelled session is not in the pool any more (it was the only one), nor running.
  expect(database.counts().totalCount).toBe(0);
  const active = await sql("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(5), pg_backend_pid()%' AND state = 'active'");
  expect(active).toEqual([]);
});

test('when a transaction cannot finish before its deadline, then it is rolled back', async () => {
  const tenantId = randomUUID();
  const attempt = database.transaction(work(300, tenantId), async (transaction) => {
    await transaction.query({ text: "INSERT INTO idempotency_keys (tenant_id, key, request_hash, expires_at) VALUES ($1, 'rolled-back', repeat('0', 64), now())" }, [tenantId]);
    await transaction.query({ text: 'SELECT pg_sleep(5)' }, []);
  });
  await expect(attempt).rejects.toBeInstanceOf(RequestTimeoutError);
  const rows = await database.query(work(), { text: 'SELECT key FROM idempotency_keys WHERE tenant_id = $1' }, [tenantId]);
  expect(rows).toEqual([]);
});

test('when the deadline has passed, then nothing starts', async () => {
  const late = work(0);
  await new Promise((resolve) => setTimeout(resolve, 5));
  await expect(database.query(late, { text: 'SELECT 1' }, [])).rejects.toBeInstanceOf(RequestTimeoutError);
});

test('when every connection stays busy, then a waiting request gives up after the connection wait with a 503, not at its deadline', async () => {
  const holders = [database.query(work(), { text: 'SELECT pg_sleep(3)' }, []), database.query(work(), { text: 'SELECT pg_sleep(3)' }, [])];
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = performance.now();
  await expect(database.query(work(8000), { text: 'SELECT 1' }, [])).rejects.toBeInstanceOf(ServiceUnavailableError);
  expect(performance.now() - started).toBeGreaterThan(1800);
  expect(performance.now() - started).toBeLessThan(2800);
  await Promise.all(holders);
});
