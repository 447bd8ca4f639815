import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Idempotency keys of creates, per tenant, kept 24 hours (CONTRACT.md section 3). */
export class CreateIdempotencyKeys1764374400000 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1764374400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "idempotency_keys" (
        "tenant_id" uuid NOT NULL,
        "key" character varying(255) NOT NULL,
        "request_hash" character(64) NOT NULL,
        "outcome" jsonb,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_idempotency_keys" PRIMARY KEY ("tenant_id", "key")
      )`);
    // Serves the purge of expired keys, which crosses tenants.
    await queryRunner.query(`CREATE INDEX "IDX_idempotency_keys_expires_at" ON "idempotency_keys" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "idempotency_keys"`);
  }
}
