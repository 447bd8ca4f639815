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
