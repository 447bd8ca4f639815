import { Client } from 'pg';
import { Deadline } from '../../src/common/deadline';
import { Semaphore } from '../../src/common/semaphore';
import { Database, type RequestBudget } from '../../src/db/database';
import { databaseUrl } from './gateway';

/** A request's budget for tests that call the service or a repository directly. */
export function testBudget(timeoutMs = 10_000, connections = 1): RequestBudget {
  return { deadline: new Deadline(timeoutMs), lane: new Semaphore(connections) };
}

/** The gateway's database layer on the test database, for tests below the HTTP routes. */
export function testDatabase(poolSize = 4, timeoutMs = 10_000): Database {
  return new Database({ url: databaseUrl(), poolSize, statementTimeoutMs: timeoutMs, connectionWaitMs: 2000 });
}

/** One statement on a session of its own, from outside the gateway (set-up and inspection). */
export async function sql<T extends Record<string, unknown> = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Locks taken by a session outside the gateway, kept until `release` rolls its transaction back. */
export interface HeldLock {
  release(): Promise<void>;
}

/** Runs `statement` in a transaction of its own on `url` (the test database by default) and keeps it open. */
export async function holdLock(statement: string, values: unknown[] = [], url: string = databaseUrl()): Promise<HeldLock> {
  const session = new Client({ connectionString: url });
  await session.connect();
  try {
    await session.query('BEGIN');
    await session.query(statement, values);
  } catch (error) {
    await session.end();
    throw error;
  }
  return {
    async release() {
      await session.query('ROLLBACK').catch(() => undefined);
      await session.end();
    },
  };
}

/** Holds a row lock on one hub, so that writes to it must wait. */
export function lockHub(tenantId: string, hubId: string, url?: string): Promise<HeldLock> {
  return holdLock('SELECT 1 FROM hubs WHERE tenant_id = $1 AND hub_id = $2 FOR UPDATE', [tenantId, hubId], url);
}
