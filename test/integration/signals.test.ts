import { Client } from 'pg';
import { databaseUrl, newTenant, TEST_SECRET, tokenFor } from '../support/gateway';
import { childrenOf, cleanEnv, isRunning, startMain, startNpm, stopMain, type StartedGateway } from '../support/processes';
import { sleep } from '../support/raw-http';
import { socketClient, subscribed, watch } from '../support/subscriptions';
import { lockHub } from '../support/database';
import { temporaryFolderPerSuite } from '../support/folders';

/**
 * Stopping the gateway the way it is stopped in real life (CONTRACT.md section 5): SIGTERM sent to
 * `npm start` alone (a container runtime), repeated (npm forwards it, orchestrators resend it),
 * SIGHUP from a closed terminal, and a second `npm start` in the same folder.
 */

interface WriterLog {
  readonly acknowledged: string[];
  readonly statuses: Map<number, number>;
  /** Names of creates that got no answer at all (the connection failed under them). */
  readonly unanswered: string[];
}

/** `count` clients creating hubs as fast as they can until the gateway stops listening. */
function createHubsUntilGone(restUrl: string, token: string, count: number): { log: WriterLog; done: Promise<void> } {
  const log: WriterLog = { acknowledged: [], statuses: new Map(), unanswered: [] };
  let sequence = 0;
  const writer = async () => {
    for (;;) {
      const name = `hub ${sequence++}`;
      try {
        const response = await fetch(restUrl, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name, description: 'while stopping' }),
        });
        log.statuses.set(response.status, (log.statuses.get(response.status) ?? 0) + 1);
        const body = (await response.json()) as { hubId?: string };
        if (response.status === 200 && body.hubId !== undefined) log.acknowledged.push(body.hubId);
      } catch (error) {
        // Refused: the gateway no longer listens, and this request never reached it.
        if ((error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return;
        log.unanswered.push(name);
      }
    }
  };
  return { log, done: Promise.all(Array.from({ length: count }, writer)).then(() => undefined) };
}

async function storedHubs(tenantId: string): Promise<{ hub_id: string; name: string }[]> {
  const client = new Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    return (await client.query<{ hub_id: string; name: string }>('SELECT hub_id, name FROM hubs WHERE tenant_id = $1', [tenantId])).rows;
  } finally {
    await client.end();
  }
}

function exitOf(started: StartedGateway): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.removeAllListeners('close');
    started.child.on('close', (code) => resolve(code));
  });
}

const gatewayEnv = () =>
  cleanEnv({ DATABASE_URL: databaseUrl(), AUTH_JWT_SECRET: TEST_SECRET, PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_MAX: '1000000', LOG_LEVEL: 'info' });

describe('SIGTERM to npm start alone, sent twice, while 8 clients create hubs', () => {
  test.each([1, 2])('round %i: then the gateway drains and exits 0 with npm, no create is answered and lost, and none is stored unanswered', async () => {
    const started = await startNpm(gatewayEnv());
    const [gatewayPid] = childrenOf(started.child.pid!);
    expect(gatewayPid).toBeDefined();
    const tenantId = newTenant();
    const { log, done } = createHubsUntilGone(started.restUrl, await tokenFor(tenantId), 8);
    await sleep(700);
    const exited = exitOf(started);
    started.child.kill('SIGTERM');
    await sleep(30);
    started.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await done;

    expect(isRunning(gatewayPid!)).toBe(false);
    expect(started.output()).toContain('shutting down');
    expect(started.output()).toContain('already shutting down');
    expect([...log.statuses.keys()].filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(log.acknowledged.length).toBeGreaterThan(20);
    const stored = await storedHubs(tenantId);
    const storedIds = new Set(stored.map((hub) => hub.hub_id));
    expect(log.acknowledged.filter((hubId) => !storedIds.has(hubId))).toEqual([]);
    // A create whose connection failed must not have happened: the client was never told.
    const storedNames = new Set(stored.map((hub) => hub.name));
    expect(log.unanswered.filter((name) => storedNames.has(name))).toEqual([]);
  }, 60_000);
});

test('when SIGTERM comes with subscriptions open, then every socket closes with 1001 (going away) and the gateway exits 0', async () => {
  const started = await startMain(process.cwd(), gatewayEnv());
  const exited = exitOf(started);
  const base = started.graphqlUrl.replace(/\/graphql$/, '');
  const token = await tokenFor(newTenant());
  const sockets = [socketClient(base, { Authorization: `Bearer ${token}` }), socketClient(base, { Authorization: `Bearer ${token}` })];
  const watching = sockets.map((client) => watch(client, 'subscription { hubChanged { kind } }'));
  await subscribed(base, 2);
  started.child.kill('SIGTERM');
  expect((await Promise.all(sockets.map((client) => client.closed))).map((closed) => closed.code)).toEqual([1001, 1001]);
  expect(await exited).toBe(0);
  await Promise.all(watching.map((watched) => watched.ended));
}, 30_000);

test('when SIGTERM comes while a request is in flight, then the sockets close with 1001 only after its answer', async () => {
  const started = await startMain(process.cwd(), { ...gatewayEnv(), REQUEST_TIMEOUT_MS: '3000' });
  const exited = exitOf(started);
  const base = started.graphqlUrl.replace(/\/graphql$/, '');
  const tenantId = newTenant();
  const token = await tokenFor(tenantId);
  const created = await fetch(started.restUrl, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Locked', description: '' }) });
  const { hubId } = (await created.json()) as { hubId: string };
  const socket = socketClient(base, { Authorization: `Bearer ${token}` });
  const watching = watch(socket, 'subscription { hubChanged { kind } }');
  await subscribed(base, 1);
  const lock = await lockHub(tenantId, hubId);
  const order: string[] = [];
  // Waits on the row lock: in flight when the signal comes, answered (408) at its deadline.
  const slow = fetch(`${started.restUrl}/${hubId}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ description: 'slow' }) }).then((response) => {
    order.push(`answer ${response.status}`);
  });
  void socket.closed.then(({ code }) => order.push(`socket ${code}`));
  await sleep(300);
  started.child.kill('SIGTERM');
  await slow;
  await socket.closed;
  await lock.release();
  expect(order).toEqual(['answer 408', 'socket 1001']);
  expect(await exited).toBe(0);
  await watching.ended;
}, 30_000);

test('when the terminal closes (SIGHUP), then the gateway stops cleanly and exits 0', async () => {
  const started = await startMain(process.cwd(), gatewayEnv());
  const exited = exitOf(started);
  started.child.kill('SIGHUP');
  expect(await exited).toBe(0);
  expect(started.output()).toContain('"signal":"SIGHUP"');
}, 30_000);

describe('a second npm start in the same folder', () => {
  const folder = temporaryFolderPerSuite('hubs-second-start');

  test('when one gateway runs on the embedded database, then a second stops with a clear message and leaves the first untouched', async () => {
    const first = await startMain(folder.path, cleanEnv({ PORT: '0', HOST: '127.0.0.1' }));
    try {
      const second = await startMain(folder.path, cleanEnv({ PORT: '0', HOST: '127.0.0.1' })).then(
        () => 'started',
        (error: Error) => error.message,
      );
      expect(second).toMatch(/exited with 1 before its banner/);
      expect(second).toMatch(new RegExp(`Another gateway \\(pid ${first.child.pid}\\) is already running on the embedded database`));
      const ready = await fetch(first.graphqlUrl.replace('/graphql', '/health/ready'));
      expect(ready.status).toBe(200);
      const answer = await fetch(first.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${first.token!}` },
        body: JSON.stringify({ query: '{ hubs { total } }' }),
      });
      expect(await answer.json()).toEqual({ data: { hubs: { total: 0 } } });
    } finally {
      expect(await stopMain(first)).toBe(0);
    }
    // Once the first one has stopped, the folder is free again.
    const third = await startMain(folder.path, cleanEnv({ PORT: '0', HOST: '127.0.0.1' }));
    expect(await stopMain(third)).toBe(0);
  }, 120_000);
});
