import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hubs table. Every key leads with `tenant_id`: the primary key, the case-insensitive unique
 * name, and the index that serves the oldest-first page (created_at, then hub_id).
 */
export class CreateHubs1764288000000 implements MigrationInterface {
  name = 'CreateHubs1764288000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "hubs" (
        "tenant_id" uuid NOT NULL,
        "hub_id" uuid NOT NULL,
        "name" character varying(100) NOT NULL,
        "description" character varying(1000) NOT NULL,
        "close_dormant_conversation" integer NOT NULL DEFAULT '0',
        "status_id" integer NOT NULL DEFAULT '2000',
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "CHK_hubs_status_id" CHECK ("status_id" IN (2000, 2002)),
        CONSTRAINT "CHK_hubs_close_dormant_conversation" CHECK ("close_dormant_conversation" BETWEEN 0 AND 3650),
        CONSTRAINT "PK_hubs" PRIMARY KEY ("tenant_id", "hub_id")
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_hubs_tenant_created_hub" ON "hubs" ("tenant_id", "created_at", "hub_id")`,
    );
    // lower() folds Unicode under the database's UTF-8 ctype, so "École" and "ÉCOLE" collide too.
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_hubs_tenant_lower_name" ON "hubs" ("tenant_id", lower("name"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "hubs"`);
  }
}
