import { Client } from 'pg';
import { holdLock } from '../support/database';
import { graphql, LogCapture, newTenant, rest, startGateway, tokenFor, type TestGateway } from '../support/gateway';
import { startPgBouncer, type OwnPgBouncer } from '../support/pgbouncer';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database';
import { eventually, firstChangeAfter } from '../support/subscriptions';

/**
 * Behind PgBouncer in transaction mode (CONTRACT.md sections 1 and 5): DATABASE_URL through the
 * pooler with DATABASE_PREPARED_STATEMENTS=false, DATABASE_DIRECT_URL past it for the migrations
 * and the change listener. PgBouncer gets fewer server sessions than the gateway has connections,
 * so consecutive transactions of one gateway connection land on different server sessions.
 */
jest.setTimeout(60_000);

let scratch: ScratchDatabase;
let bouncer: OwnPgBouncer;
let gateway: TestGateway;
const logs = new LogCapture();

beforeAll(async () => {
  // A database of its own: the deadline test locks a whole table.
  scratch = await createScratchDatabase('hubs_test_pgbouncer');
  bouncer = await startPgBouncer(scratch.url, { poolSize: 3 });
  gateway = await startGateway({
    DATABASE_URL: bouncer.url,
    DATABASE_DIRECT_URL: scratch.url,
    DATABASE_PREPARED_STATEMENTS: 'false',
    DATABASE_POOL_SIZE: '10',
    MIGRATIONS_RUN: 'true',
    REQUEST_TIMEOUT_MS: '1500',
    LOG_LEVEL: 'info',
  }, { logStream: logs });
});
afterAll(async () => {
  await gateway?.close();
  await bouncer?.stop();
  await scratch?.drop();
});

const HUBS = '/api/v1/hubs';
const create = (token: string, name: string, key?: string) =>
  rest<{ hubId: string }>(gateway, 'POST', HUBS, { token, body: { name, description: 'through PgBouncer' }, headers: key === undefined ? {} : { 'idempotency-key': key } });

describe('through PgBouncer in transaction mode', () => {
  test('when the gateway started, then its migrations ran past the pooler and readiness is green', async () => {
    expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(200);
  });

  test('when many reads and writes of REST and GraphQL run at once, then every one succeeds', async () => {
    const token = await tokenFor(newTenant());
    const created = await Promise.all(Array.from({ length: 30 }, (_, i) => create(token, `Pooled ${i}`)));
    expect(created.map((answer) => answer.status)).toEqual(created.map(() => 200));
    const ids = created.map((answer) => answer.body.hubId);
    const work = ids.flatMap((hubId, i) => [
      rest(gateway, 'GET', `${HUBS}/${hubId}`, { token }).then((answer) => answer.status),
      rest(gateway, 'PUT', `${HUBS}/${hubId}`, { token, body: { description: `changed ${i}` }, headers: { 'if-match': '"1"' } }).then((answer) => answer.status),
      graphql(gateway, 'query ($ids: [ID!]!) { hubsByIds(hubIds: $ids) { hubId } hubConnection(first: 5) { totalCount nodes { name } } hubs { total } }', {
        token,
        variables: { ids: ids.slice(0, 10) },
      }).then((answer) => (answer.body.errors === undefined ? answer.status : 500)),
    ]);
    const statuses = await Promise.all(work);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const page = await rest<{ total: number }>(gateway, 'GET', `${HUBS}?pageSize=50`, { token });
    expect(page.body.total).toBe(30);
    const deleted = await rest(gateway, 'DELETE', `${HUBS}/${ids[0]}`, { token });
    expect(deleted.status).toBe(200);
  });

  test('when a create is retried with its Idempotency-Key, then the first answer comes back and one hub is stored', async () => {
    const token = await tokenFor(newTenant());
    const [first, second] = [await create(token, 'Once', 'key-1'), await create(token, 'Once', 'key-1')];
    expect(second.status).toBe(first.status);
    expect(second.body).toEqual(first.body);
    expect((await rest<{ total: number }>(gateway, 'GET', HUBS, { token })).body.total).toBe(1);
  });

  test('when a statement outlives the deadline, then 408, the statement is cancelled through the pooler, and nothing changed', async () => {
    const token = await tokenFor(newTenant());
    const hubId = (await create(token, 'Locked')).body.hubId;
    // A table lock blocks even a read; only a cancel can end the statement waiting for it.
    const lock = await holdLock('LOCK TABLE hubs IN ACCESS EXCLUSIVE MODE', [], scratch.url);
    try {
      const [read, write] = await Promise.all([
        rest(gateway, 'GET', `${HUBS}/${hubId}`, { token }),
        rest(gateway, 'PUT', `${HUBS}/${hubId}`, { token, body: { description: 'too late' } }),
      ]);
      expect([read.status, write.status]).toEqual([408, 408]);
      expect(await waitingStatements(scratch.url)).toBe(0);
    } finally {
      await lock.release();
    }
    const after = await rest<{ description: string }>(gateway, 'GET', `${HUBS}/${hubId}`, { token });
    expect(after.body.description).toBe('through PgBouncer');
  });

  test('when a hub is created through the pooler, then a subscriber hears it (the listener is on the direct session)', async () => {
    const token = await tokenFor(newTenant());
    expect(await firstChangeAfter(gateway.url, token, () => create(token, 'Heard'))).toEqual({ kind: 'CREATED', hub: { name: 'Heard' } });
  });
});

describe('without DATABASE_PREPARED_STATEMENTS=false', () => {
  test('when the pool sends session parameters to PgBouncer, then it cannot connect: the variable is what makes it work', async () => {
    const naive = await startGateway({ DATABASE_URL: bouncer.url, DATABASE_DIRECT_URL: scratch.url, MIGRATIONS_RUN: 'false' });
    try {
      const answer = await rest(naive, 'GET', HUBS, { token: await tokenFor(newTenant()) });
      expect(answer.status).toBe(503);
      expect(await bouncer.log()).toMatch(/unsupported startup parameter/);
    } finally {
      await naive.close();
    }
  });
});

/** Statements of the gateway still waiting on a lock in the database at `url`, once a cancel has had a moment to land. */
async function waitingStatements(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const waiting = async () =>
    Number((await client.query<{ count: string }>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0]!.count);
  try {
    await eventually(async () => (await waiting()) === 0, 1000);
    return await waiting();
  } finally {
    await client.end();
  }
}
