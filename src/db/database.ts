import pg from 'pg';
import type { Deadline } from '../common/deadline';
import { Semaphore, type WaitOutcome } from '../common/semaphore';
import { RequestTimeoutError, ServiceUnavailableError } from '../errors/domain-error';
import { sendCancelRequest } from './cancel-request';
import { translateDatabaseError } from './database-errors';
import { databaseTypes } from './timestamps';

/** One statement; a `name` makes it a named prepared statement, planned once per connection. */
export interface Statement {
  readonly name?: string;
  readonly text: string;
  /**
   * Planned for its values at every run instead of prepared once under its name (it is still
   * counted under it): for a statement whose best plan depends on a value, as a LIKE pattern's
   * does, which a generic plan cannot see.
   */
  readonly planEachTime?: boolean;
}

export type Row = Record<string, unknown>;

/**
 * What one request may spend on the database: time until its deadline, and connections through
 * its own lane (a GraphQL operation resolves its root fields in parallel; the lane bounds how many
 * of them hold a connection at once).
 */
export interface RequestBudget {
  readonly deadline: Deadline;
  readonly lane: Semaphore;
}

/** A request's database work on behalf of one tenant: whose share of the pool it draws from. */
export interface TenantWork extends RequestBudget {
  readonly tenantId: string;
}

/** Statements inside one transaction, on its one connection. */
export interface Transaction {
  query(statement: Statement, values: readonly unknown[]): Promise<Row[]>;
}

export interface DatabaseOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Identifies the gateway's sessions in `pg_stat_activity`. */
  readonly applicationName?: string;
  /**
   * Every session's own statement and lock timeout: a backstop for work the gateway could not
   * cancel. Requests are cancelled at their own deadline, which is usually sooner.
   */
  readonly statementTimeoutMs: number;
  /** How long a request may wait for a connection (its tenant's share, then the pool) before 503. */
  readonly connectionWaitMs: number;
  /** Errors of idle pooled connections (the server went away); without a handler they would crash the process. */
  readonly onIdleError?: (error: Error) => void;
  /** Told of every statement sent, by its name (`unnamed` for the others): the metrics count them. */
  readonly onStatement?: (name: string) => void;
  /**
   * False behind a transaction-pooling proxy (PgBouncer in transaction mode, DATABASE_PREPARED_STATEMENTS):
   * each transaction may land on another server session, so none may rely on session state.
   * Statements are then sent unnamed (a named one prepared on one session is unknown on the next),
   * and no session parameters are sent at connect (PgBouncer refuses them, and would not keep them):
   * transactions still set their own limits (`SET LOCAL`), and a single statement is held to its
   * deadline by the cancel request, which the proxy forwards.
   */
  readonly sessionState?: boolean;
}

/** What the pool says about itself, for the metrics. */
export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  /** Requests waiting for a connection: for their tenant's share or for the pool. */
  readonly waitingCount: number;
}

/**
 * The gateway's PostgreSQL pool (node-postgres), and the only way requests reach it:
 *
 * - **Fairness.** A tenant holds at most half of the pool at once, whatever it sends, so no tenant
 *   can starve the others; its further work waits for its own share. Waiting longer than
 *   `connectionWaitMs` is answered 503 (busy), as when the database cannot be reached.
 * - **Deadlines.** Nothing starts after the request's deadline; a statement still running when it
 *   passes is cancelled (a CancelRequest, so also when the pool is exhausted) and the connection
 *   is discarded, so a late cancel can never hit the next request's statement. A transaction is
 *   given the time that is left (`SET LOCAL`) and rolled back when it cannot finish in time: a
 *   request answered 408 has changed nothing.
 */
export class Database {
  private readonly pool: pg.Pool;
  private readonly connections: Semaphore;
  private readonly tenantShares = new Map<string, Semaphore>();
  private readonly tenantShare: number;

  constructor(private readonly options: DatabaseOptions) {
    this.connections = new Semaphore(options.poolSize);
    this.tenantShare = Math.max(1, Math.floor(options.poolSize / 2));
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      application_name: options.applicationName ?? 'hubs-gateway',
      // The gate below lets no more requests through than the pool has connections, so this only
      // ever bounds opening a new one.
      connectionTimeoutMillis: options.connectionWaitMs,
      // Dead peers are noticed by the kernel instead of hanging a query forever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      types: databaseTypes,
      ...(options.sessionState === false
        ? {}
        : {
            statement_timeout: options.statementTimeoutMs,
            lock_timeout: options.statementTimeoutMs,
            idle_in_transaction_session_timeout: options.statementTimeoutMs + 1000,
          }),
    });
    this.pool.on('error', (error) => options.onIdleError?.(error));
  }

  /** Runs one statement on its own (it commits by itself). */
  query(work: TenantWork, statement: Statement, values: readonly unknown[]): Promise<Row[]> {
    return this.withConnection(work, (connection) => connection.run(statement, values));
  }

  /**
   * Runs `body` in one transaction that is given the time left before the deadline. It commits
   * when `body` succeeds in time; otherwise it is rolled back before the error is thrown.
   */
  transaction<T>(work: TenantWork, body: (transaction: Transaction) => Promise<T>): Promise<T> {
    return this.withConnection(work, async (connection) => {
      // Whole milliseconds, computed here: the simple protocol, one round trip for all three.
      const remaining = Math.max(1, Math.ceil(work.deadline.remainingMs()));
      await connection.run({ text: `BEGIN; SET LOCAL statement_timeout = ${remaining}; SET LOCAL lock_timeout = ${remaining}` }, []);
      let result: T;
      try {
        result = await body({ query: (statement, values) => connection.run(statement, values) });
        await connection.run({ text: 'COMMIT' }, []);
      } catch (error) {
        await connection.rollback();
        throw error;
      }
      return result;
    });
  }

  counts(): PoolCounts {
    let waitingCount = this.connections.waiting;
    for (const share of this.tenantShares.values()) waitingCount += share.waiting;
    return { totalCount: this.pool.totalCount, idleCount: this.pool.idleCount, waitingCount };
  }

  /** True once `close` has been called: no statement runs any more. */
  get closed(): boolean {
    return this.pool.ended;
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  private async withConnection<T>(work: TenantWork, use: (connection: Connection) => Promise<T>): Promise<T> {
    work.deadline.throwIfExpired();
    const releaseLane = work.lane.tryAcquire() ?? (await wait(work.lane.acquire({ until: work.deadline }), work.deadline));
    try {
      // One bounded wait for everything between the request and a connection: its tenant's share,
      // a slot of the pool, and opening the connection when the pool has none idle.
      const until = performance.now() + this.options.connectionWaitMs;
      const share = this.shareOf(work.tenantId);
      try {
        const releaseShare = share.tryAcquire() ?? (await wait(share.acquire(this.waitUntil(work, until)), work.deadline));
        try {
          const releaseSlot = this.connections.tryAcquire() ?? (await wait(this.connections.acquire(this.waitUntil(work, until)), work.deadline));
          try {
            const connection = new Connection(await this.connect(work.deadline, until), work.deadline, this.options);
            try {
              return await use(connection);
            } finally {
              connection.release();
            }
          } finally {
            releaseSlot();
          }
        } finally {
          releaseShare();
        }
      } finally {
        if (share.idle) this.tenantShares.delete(work.tenantId);
      }
    } finally {
      releaseLane();
    }
  }

  private shareOf(tenantId: string): Semaphore {
    let share = this.tenantShares.get(tenantId);
    if (share === undefined) this.tenantShares.set(tenantId, (share = new Semaphore(this.tenantShare)));
    return share;
  }

  private waitUntil(work: TenantWork, until: number): { until: Deadline; waitMs: number } {
    return { until: work.deadline, waitMs: Math.max(0, until - performance.now()) };
  }

  /**
   * A pooled connection, or a new one opened within what is left of the wait; a connection that
   * arrives after the request gave up on it goes back to the pool. (The gate above never lets more
   * requests through than the pool has connections, so an idle one is there to be taken at once.)
   */
  private async connect(deadline: Deadline, until: number): Promise<pg.PoolClient> {
    const idle = this.pool.idleCount > 0;
    const connecting = this.pool.connect();
    if (idle) {
      try {
        return await connecting;
      } catch (error) {
        throw translateDatabaseError(error, this.options.statementTimeoutMs);
      }
    }
    let timer: NodeJS.Timeout | undefined;
    let stopListening: () => void = () => undefined;
    const gaveUp = new Promise<'gave up'>((resolve) => {
      timer = setTimeout(() => resolve('gave up'), Math.max(0, until - performance.now()));
      stopListening = deadline.onExpiry(() => resolve('gave up'));
    });
    let client: pg.PoolClient | 'gave up';
    try {
      client = await Promise.race([connecting, gaveUp]);
    } catch (error) {
      throw translateDatabaseError(error, this.options.statementTimeoutMs);
    } finally {
      clearTimeout(timer);
      stopListening();
    }
    if (client === 'gave up') {
      connecting.then((late) => late.release(), () => undefined);
      deadline.throwIfExpired();
      throw new ServiceUnavailableError(BUSY);
    }
    return client;
  }
}

const BUSY = 'Every database connection is busy; please retry shortly.';

/** A wait for a slot that ended without one, in the domain's terms. */
async function wait(acquiring: Promise<() => void>, deadline: Deadline): Promise<() => void> {
  try {
    return await acquiring;
  } catch (outcome) {
    if ((outcome as WaitOutcome) === 'expired') throw new RequestTimeoutError(deadline.timeoutMs);
    throw new ServiceUnavailableError(BUSY);
  }
}

/** One pooled connection lent to one request. */
class Connection {
  /** A cancel was sent, or the connection failed: it must not serve anyone else. */
  private discard = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly deadline: Deadline,
    private readonly options: Pick<DatabaseOptions, 'statementTimeoutMs' | 'onStatement' | 'sessionState'>,
  ) {}

  async run(statement: Statement, values: readonly unknown[]): Promise<Row[]> {
    this.deadline.throwIfExpired();
    this.options.onStatement?.(statement.name ?? 'unnamed');
    const stopListening = this.deadline.onExpiry(() => {
      this.discard = true;
      void sendCancelRequest(sessionKey(this.client));
    });
    try {
      const named = !statement.planEachTime && this.options.sessionState !== false;
      const result = await this.client.query({ name: named ? statement.name : undefined, text: statement.text, values: values as unknown[] });
      return result.rows as Row[];
    } catch (error) {
      const translated = translateDatabaseError(error, this.options.statementTimeoutMs);
      if (translated instanceof ServiceUnavailableError) this.discard = true;
      throw translated;
    } finally {
      stopListening();
    }
  }

  /** Rolls back whatever the transaction did; a connection that cannot even do that is discarded. */
  async rollback(): Promise<void> {
    try {
      await this.client.query('ROLLBACK');
    } catch {
      this.discard = true;
    }
  }

  release(): void {
    this.client.release(this.discard);
  }
}

/** node-postgres keeps the session's BackendKeyData on the client, under these names. */
function sessionKey(client: pg.PoolClient): { host: string; port: number; processId: number; secretKey: number } {
  const session = client as unknown as { host: string; port: number; processID: number; secretKey: number };
  return { host: session.host, port: session.port, processId: session.processID, secretKey: session.secretKey };
}
