import type { MigrationInterface, QueryRunner } from 'typeorm';
import { caselessKey } from '../src/common/text';

/** Rows read and keyed per round trip while existing hubs get their key. */
const BATCH = 5000;

/**
 * Name uniqueness by a key the gateway computes (NFC and full Unicode case folding, CONTRACT.md
 * section 3) instead of `lower(name)`, which depends on the database's ctype: in a `C`-collated
 * database `ÉCOLE` and `école` did not collide, nor did `Café` in NFC and NFD anywhere.
 *
 * Existing names are rewritten in NFC (the same text, as the gateway now stores it). Hubs that were
 * distinct under `lower()` but share a key now (`STRASSE` and `straße`) all stay as they are: the
 * oldest keeps the plain key, each later one a key suffixed with U+0001 and its id, which no name can
 * produce (names refuse control characters). Renaming one of them checks the new name as usual.
 */
export class FoldedNameKeys1764460800000 implements MigrationInterface {
  name = 'FoldedNameKeys1764460800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "hubs" ADD "name_key" text`);
    let after: [string, string, string] | undefined;
    let previous: { tenant: string; key: string } | undefined;
    const seen = new Set<string>();
    for (;;) {
      // Keyset order (tenant, creation, id): within a tenant, the oldest hub of a key comes first.
      const rows: { tenant_id: string; hub_id: string; name: string; created_at: string }[] = await queryRunner.query(
        `SELECT tenant_id, hub_id, name, created_at::text AS created_at FROM "hubs"
         ${after === undefined ? '' : 'WHERE (tenant_id, created_at, hub_id) > ($1, $2::timestamptz, $3)'}
         ORDER BY tenant_id, created_at, hub_id LIMIT ${BATCH}`,
        after ?? [],
      );
      if (rows.length === 0) break;
      const keyed = rows.map((row) => {
        if (previous?.tenant !== row.tenant_id) seen.clear();
        const key = caselessKey(row.name);
        const unique = seen.has(key) ? `${key}\u0001${row.hub_id}` : key;
        seen.add(key);
        previous = { tenant: row.tenant_id, key };
        return { ...row, name: row.name.normalize('NFC'), key: unique };
      });
      await queryRunner.query(
        `UPDATE "hubs" h SET "name" = v.name, "name_key" = v.key
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) AS v(tenant_id, hub_id, name, key)
         WHERE h.tenant_id = v.tenant_id AND h.hub_id = v.hub_id`,
        [keyed.map((row) => row.tenant_id), keyed.map((row) => row.hub_id), keyed.map((row) => row.name), keyed.map((row) => row.key)],
      );
      const last = rows[rows.length - 1]!;
      after = [last.tenant_id, last.created_at, last.hub_id];
    }
    await queryRunner.query(`ALTER TABLE "hubs" ALTER COLUMN "name_key" SET NOT NULL`);
    await queryRunner.query(`DROP INDEX "UQ_hubs_tenant_lower_name"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_hubs_tenant_name_key" ON "hubs" ("tenant_id", "name_key")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "UQ_hubs_tenant_name_key"`);
    await queryRunner.query(`ALTER TABLE "hubs" DROP COLUMN "name_key"`);
    // Fails where names that are distinct now collide under lower(): such a database cannot go back.
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_hubs_tenant_lower_name" ON "hubs" ("tenant_id", lower("name"))`);
  }
}
