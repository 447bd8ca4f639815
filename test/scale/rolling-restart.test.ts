import { randomUUID } from 'node:crypto';
import { projectRoot } from '../../src/common/paths';
import { freePort } from '../../src/common/free-port';
import { databaseUrl, newTenant, TEST_SECRET, tokenFor } from '../support/gateway';
import { startHaproxy } from '../support/haproxy';
import { cleanEnv, startMain, stopMain, type StartedGateway } from '../support/processes';

/**
 * A rolling restart behind a real balancer (CONTRACT.md section 5, issue 14): two instances
 * behind Debian's HAProxy, checked on /health/ready every 500 ms, while eight clients read and
 * create hubs; each instance in turn gets SIGTERM and is replaced by a new one on its port. Not
 * one request may fail, and every create that was acknowledged must be stored.
 */
jest.setTimeout(120_000);

/** Longer than the balancer's check interval (500 ms), so it stops routing here before the gateway stops serving. */
const SHUTDOWN_GRACE_MS = 1500;
const CLIENTS = 8;
const DURATION_MS = 25_000;

interface Outcome {
  readonly what: string;
  readonly status: number | string;
}

test('when both instances are replaced one after the other under load, then no request fails and every acknowledged create is stored', async () => {
  const ports = [await freePort(), await freePort()];
  const env = (port: number) =>
    cleanEnv({
      DATABASE_URL: databaseUrl(),
      AUTH_JWT_SECRET: TEST_SECRET,
      MIGRATIONS_RUN: 'false',
      HOST: '127.0.0.1',
      PORT: String(port),
      SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
      RATE_LIMIT_MAX: '1000000',
      LOG_LEVEL: 'warn',
    });
  const start = (port: number) => startMain(projectRoot(), env(port));
  const instances: StartedGateway[] = [await start(ports[0]!), await start(ports[1]!)];
  const balancer = await startHaproxy(ports.map((port, i) => ({ name: `gateway${i}`, port })));
  try {
    const token = await tokenFor(newTenant());
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const outcomes: Outcome[] = [];
    const acknowledged: string[] = [];
    const until = Date.now() + DURATION_MS;

    const client = async (index: number) => {
      for (let round = 0; Date.now() < until; round++) {
        if (round % 2 === 0) {
          const key = randomUUID();
          const answer = await fetch(`${balancer.url}/api/v1/hubs`, {
            method: 'POST',
            headers: { ...headers, 'idempotency-key': key },
            body: JSON.stringify({ name: `Rolling ${index}-${round}-${key.slice(0, 8)}`, description: '' }),
          }).catch((error: Error) => error);
          if (answer instanceof Error) {
            outcomes.push({ what: 'create', status: answer.message });
            continue;
          }
          outcomes.push({ what: 'create', status: answer.status });
          if (answer.status === 200) acknowledged.push(((await answer.json()) as { hubId: string }).hubId);
          else await answer.text();
        } else {
          const answer = await fetch(`${balancer.url}/api/v1/hubs?pageSize=5`, { headers }).catch((error: Error) => error);
          outcomes.push({ what: 'read', status: answer instanceof Error ? answer.message : answer.status });
          if (!(answer instanceof Error)) await answer.text();
        }
      }
    };

    const replace = async (index: number) => {
      // As an orchestrator does: SIGTERM, wait for the exit, start the new version in its place.
      expect(await stopMain(instances[index]!)).toBe(0);
      instances[index] = await start(ports[index]!);
      // Back in rotation once HAProxy's check has seen it ready.
      for (let attempt = 0; attempt < 100 && (await balancer.states())[`gateway${index}`] !== 'UP'; attempt++) await sleep(100);
      expect((await balancer.states())[`gateway${index}`]).toBe('UP');
    };

    const load = Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
    await sleep(3000);
    await replace(0);
    await sleep(2000);
    await replace(1);
    await load;

    const failed = outcomes.filter((outcome) => outcome.status !== 200);
    expect(failed).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(500);
    // Every acknowledged create is stored: the tenant holds exactly those hubs.
    const page = (await (await fetch(`${balancer.url}/api/v1/hubs?pageSize=1`, { headers })).json()) as { total: number };
    expect(page.total).toBe(acknowledged.length);
    const stored = await Promise.all(acknowledged.slice(0, 50).map((hubId) => fetch(`${balancer.url}/api/v1/hubs/${hubId}`, { headers }).then((answer) => answer.status)));
    expect(stored.filter((status) => status !== 200)).toEqual([]);
  } finally {
    await balancer.stop();
    await Promise.all(instances.map((instance) => stopMain(instance)));
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
