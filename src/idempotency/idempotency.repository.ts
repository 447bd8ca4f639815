import type { Database, TenantWork, Transaction } from '../db/database';

/** How long a key answers retries (CONTRACT.md section 3). */
export const IDEMPOTENCY_TTL_HOURS = 24;

export type Claim =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly requestHash: string; readonly outcome: unknown };

export interface IdempotencyRepositoryOptions {
  /** The request deadline; a claim still unfinished after twice that was left by a crash. */
  readonly timeoutMs: number;
}

const CLAIM = {
  name: 'idempotency_claim',
  text: `INSERT INTO idempotency_keys (tenant_id, key, request_hash, outcome, created_at, expires_at)
         VALUES ($1, $2, $3, NULL, now(), now() + make_interval(hours => ${IDEMPOTENCY_TTL_HOURS}))
         ON CONFLICT (tenant_id, key) DO UPDATE
           SET request_hash = EXCLUDED.request_hash, outcome = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
           WHERE idempotency_keys.expires_at <= now()
              OR (idempotency_keys.outcome IS NULL AND idempotency_keys.created_at < now() - make_interval(secs => $4))
         RETURNING 1`,
};
const READ = { name: 'idempotency_read', text: 'SELECT request_hash, outcome FROM idempotency_keys WHERE tenant_id = $1 AND key = $2' };
const COMPLETE = { name: 'idempotency_complete', text: 'UPDATE idempotency_keys SET outcome = $3 WHERE tenant_id = $1 AND key = $2' };
const RELEASE = { name: 'idempotency_release', text: 'DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND outcome IS NULL' };
const PURGE = { text: 'WITH purged AS (DELETE FROM idempotency_keys WHERE expires_at <= now() RETURNING 1) SELECT count(*)::int AS deleted FROM purged' };

/** The only SQL of idempotency keys. */
export class IdempotencyRepository {
  constructor(
    private readonly database: Database,
    private readonly options: IdempotencyRepositoryOptions,
  ) {}

  /**
   * Takes the key for this request, in one statement: a new key, an expired one, or one whose
   * first request died without an answer. Otherwise answers what the key already holds.
   */
  async claim(work: TenantWork, key: string, requestHash: string): Promise<Claim> {
    const staleSeconds = (2 * this.options.timeoutMs) / 1000;
    const claimed = await this.database.query(work, CLAIM, [work.tenantId, key, requestHash, staleSeconds]);
    if (claimed.length > 0) return { claimed: true };
    const row = (await this.database.query(work, READ, [work.tenantId, key]))[0];
    // Purged between the two statements: the key is free again.
    if (row === undefined) return this.claim(work, key, requestHash);
    return { claimed: false, requestHash: row.request_hash as string, outcome: row.outcome };
  }

  /** Records the answer; inside the transaction that made it when one is given. */
  async complete(work: TenantWork, key: string, outcome: unknown, transaction?: Transaction): Promise<void> {
    const values = [work.tenantId, key, JSON.stringify(outcome)];
    await (transaction === undefined ? this.database.query(work, COMPLETE, values) : transaction.query(COMPLETE, values));
  }

  /** Frees a key whose request failed without an answer worth replaying, so a retry can run. */
  async release(work: TenantWork, key: string): Promise<void> {
    await this.database.query(work, RELEASE, [work.tenantId, key]);
  }

  /** Runs `body` in one transaction of the tenant's work. */
  transaction<T>(work: TenantWork, body: (transaction: Transaction) => Promise<T>): Promise<T> {
    return this.database.transaction(work, body);
  }

  /** Deletes expired keys of every tenant (housekeeping, its own work); answers how many. */
  async purgeExpired(work: TenantWork): Promise<number> {
    return (await this.database.query(work, PURGE, []))[0]?.deleted as number;
  }
}
