import { freePort } from '../../src/common/free-port';
import { migrateDatabase } from '../../src/db/migrations';
import { startGateway, type TestGateway } from '../support/gateway';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database';

const get = async (gateway: TestGateway, path: string) => {
  const response = await fetch(`${gateway.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('health routes', () => {
  let scratch: ScratchDatabase;
  beforeEach(async () => {
    scratch = await createScratchDatabase('hubs_health');
  });
  afterEach(() => scratch.drop());

  test('when migrations are pending, then ready is 503; once applied, then 200', async () => {
    const gateway = await startGateway({ DATABASE_URL: scratch.url, MIGRATIONS_RUN: 'false' });
    try {
      expect(await get(gateway, '/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await get(gateway, '/health/ready')).toEqual({
        status: 503,
        body: { status: 'unavailable', database: 'up', migrations: 'pending' },
      });
      await migrateDatabase(scratch.url);
      expect(await get(gateway, '/health/ready')).toEqual({
        status: 200,
        body: { status: 'ok', database: 'up', migrations: 'applied' },
      });
    } finally {
      await gateway.close();
    }
  });

  test('when MIGRATIONS_RUN is on (the default), then the gateway migrates at start-up and is ready', async () => {
    const gateway = await startGateway({ DATABASE_URL: scratch.url, MIGRATIONS_RUN: 'true' });
    try {
      expect((await get(gateway, '/health/ready')).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  test('when the database cannot be reached, then ready is 503 while live stays 200', async () => {
    // Nothing listens there: the gateway starts (it connects on demand) and finds no database.
    const gateway = await startGateway({ DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/postgres` });
    try {
      expect(await get(gateway, '/health/ready')).toEqual({ status: 503, body: { status: 'unavailable', database: 'down' } });
      expect((await get(gateway, '/health/live')).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});
