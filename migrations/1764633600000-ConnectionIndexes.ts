import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `hubConnection` pages by keyset in three orders (CONTRACT.md section 4); each order needs an index
 * that leads with the tenant and ends with the hub id, so that a page at any depth is a range scan
 * of one tenant. Creation order already has one (IDX_hubs_tenant_created_hub). The name order
 * could use the unique (tenant_id, name_key) index only with a sort step for the hub id.
 *
 * `filter.nameContains` is a substring match (LIKE '%...%' on the folded name key), which no btree
 * can range over: a rare substring would read every hub of the tenant (55 ms at 200,000 hubs,
 * measured), a common one is found at once along the order index. A trigram GIN index led by the
 * tenant (pg_trgm, with btree_gin for the uuid) finds the rare ones in about 1 ms; PostgreSQL
 * picks between the two per pattern. Both extensions are "trusted" (PostgreSQL 13 and later): a
 * database owner may create them. Where they are not installed, the index is left out and such
 * filters only run slower.
 *
 * Plain CREATE INDEX blocks writes to hubs while it builds (about a second per million hubs
 * here); a deployment with a large table can build them CONCURRENTLY by hand first, under these
 * names, and this migration then finds them in place.
 */
const NAME_TRIGRAMS = 'IDX_hubs_tenant_name_key_trgm';

export class ConnectionIndexes1764633600000 implements MigrationInterface {
  name = 'ConnectionIndexes1764633600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "IDX_hubs_tenant_updated_hub" ON "hubs" ("tenant_id", "updated_at", "hub_id")`);
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "IDX_hubs_tenant_name_key_hub" ON "hubs" ("tenant_id", "name_key", "hub_id")`);
    const [available] = await queryRunner.query(
      `SELECT count(*)::int AS found FROM pg_available_extensions WHERE name IN ('pg_trgm', 'btree_gin')`,
    );
    if (available.found < 2) return;
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS btree_gin`);
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "${NAME_TRIGRAMS}" ON "hubs" USING gin ("tenant_id", "name_key" gin_trgm_ops)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The extensions stay: other tables may use them.
    await queryRunner.query(`DROP INDEX IF EXISTS "${NAME_TRIGRAMS}"`);
    await queryRunner.query(`DROP INDEX "IDX_hubs_tenant_name_key_hub"`);
    await queryRunner.query(`DROP INDEX "IDX_hubs_tenant_updated_hub"`);
  }
}
