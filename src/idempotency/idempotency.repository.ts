import type { DataSource, EntityManager } from 'typeorm';
import { translateDatabaseError } from '../db/database-errors';

/** How long a key answers retries (CONTRACT.md section 3). */
export const IDEMPOTENCY_TTL_HOURS = 24;

export type Claim =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly requestHash: string; readonly outcome: unknown };

export interface IdempotencyRepositoryOptions {
  /** The request deadline; a claim still unfinished after twice that was left by a crash. */
  readonly timeoutMs: number;
}

/** The only SQL of idempotency keys. */
export class IdempotencyRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly options: IdempotencyRepositoryOptions,
  ) {}

  /**
   * Takes the key for this request, in one statement: a new key, an expired one, or one whose
   * first request died without an answer. Otherwise answers what the key already holds.
   */
  async claim(tenantId: string, key: string, requestHash: string): Promise<Claim> {
    const staleSeconds = (2 * this.options.timeoutMs) / 1000;
    const claimed: unknown[] = await this.run(() =>
      this.dataSource.query(
        `INSERT INTO idempotency_keys (tenant_id, key, request_hash, outcome, created_at, expires_at)
         VALUES ($1, $2, $3, NULL, now(), now() + make_interval(hours => ${IDEMPOTENCY_TTL_HOURS}))
         ON CONFLICT (tenant_id, key) DO UPDATE
           SET request_hash = EXCLUDED.request_hash, outcome = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
           WHERE idempotency_keys.expires_at <= now()
              OR (idempotency_keys.outcome IS NULL AND idempotency_keys.created_at < now() - make_interval(secs => $4))
         RETURNING 1`,
        [tenantId, key, requestHash, staleSeconds],
      ),
    );
    if (claimed.length > 0) return { claimed: true };
    const rows: { request_hash: string; outcome: unknown }[] = await this.run(() =>
      this.dataSource.query('SELECT request_hash, outcome FROM idempotency_keys WHERE tenant_id = $1 AND key = $2', [tenantId, key]),
    );
    const row = rows[0];
    // Purged between the two statements: the key is free again.
    if (row === undefined) return this.claim(tenantId, key, requestHash);
    return { claimed: false, requestHash: row.request_hash, outcome: row.outcome };
  }

  /** Records the answer; inside the transaction that made it when `manager` is given. */
  async complete(tenantId: string, key: string, outcome: unknown, manager?: EntityManager): Promise<void> {
    await this.run(() =>
      (manager ?? this.dataSource.manager).query('UPDATE idempotency_keys SET outcome = $3 WHERE tenant_id = $1 AND key = $2', [
        tenantId,
        key,
        JSON.stringify(outcome),
      ]),
    );
  }

  /** Frees a key whose request failed without an answer worth replaying, so a retry can run. */
  async release(tenantId: string, key: string): Promise<void> {
    await this.run(() =>
      this.dataSource.query('DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND outcome IS NULL', [tenantId, key]),
    );
  }

  /** Runs `work` in one transaction; a failure to begin or commit reads like any database failure. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.run(() => this.dataSource.transaction(work));
  }

  /** Deletes expired keys; answers how many. */
  async purgeExpired(): Promise<number> {
    const [, deleted] = (await this.run(() => this.dataSource.query('DELETE FROM idempotency_keys WHERE expires_at <= now()'))) as [
      unknown,
      number,
    ];
    return deleted;
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translateDatabaseError(error, this.options.timeoutMs);
    }
  }
}
