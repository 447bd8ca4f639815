import pg from 'pg';

/** What `/health/ready` reports of the database. */
export type DatabaseHealth =
  | { readonly database: 'up'; readonly migrations: 'applied' | 'pending' }
  | { readonly database: 'down' };

const UNDEFINED_TABLE = '42P01';

/**
 * Asks PostgreSQL itself, on a session of its own, whether it answers and has every migration.
 * Not through the pool: a pool that is busy serving requests is a database that answers, and a
 * probe queued behind those requests would report it down (CONTRACT.md section 5). One session is
 * kept between probes, and probes that come while one runs share its answer.
 */
export class HealthProbe {
  private client: pg.Client | undefined;
  private running: Promise<DatabaseHealth> | undefined;

  constructor(
    private readonly url: string,
    /** Every migration this build knows, by name. */
    private readonly migrations: readonly string[],
    /** A probe that takes longer than this reports the database down. */
    private readonly timeoutMs: number,
    /** False behind a transaction-pooling proxy, which refuses session parameters (DATABASE_PREPARED_STATEMENTS). */
    private readonly sessionState = true,
  ) {}

  check(): Promise<DatabaseHealth> {
    this.running ??= this.probe().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.forget();
  }

  private async probe(): Promise<DatabaseHealth> {
    try {
      const client = await this.session();
      let applied: Set<string>;
      try {
        const { rows } = await client.query<{ name: string }>('SELECT name FROM migrations');
        applied = new Set(rows.map((row) => row.name));
      } catch (error) {
        if ((error as { code?: unknown }).code !== UNDEFINED_TABLE) throw error;
        applied = new Set();
      }
      return { database: 'up', migrations: this.migrations.every((name) => applied.has(name)) ? 'applied' : 'pending' };
    } catch {
      await this.forget();
      return { database: 'down' };
    }
  }

  private async session(): Promise<pg.Client> {
    if (this.client !== undefined) return this.client;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'hubs-gateway-health',
      connectionTimeoutMillis: this.timeoutMs,
      ...(this.sessionState ? { statement_timeout: this.timeoutMs } : {}),
      // The server may be there and silent: the probe must still come back.
      query_timeout: this.timeoutMs,
      keepAlive: true,
    });
    // A session that breaks between probes is replaced at the next one.
    client.on('error', () => void this.forget());
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return client;
  }

  private async forget(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
