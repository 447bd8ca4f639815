import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every hub gets a version (CONTRACT.md sections 3 and 4: REST's ETag, GraphQL's `Hub.version`):
 * existing hubs start at 1, as a new one does. A column with a constant default is added without
 * rewriting the table (PostgreSQL 11 and later), so this is quick on any size.
 */
export class HubVersions1764547200000 implements MigrationInterface {
  name = 'HubVersions1764547200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "hubs" ADD "version" integer NOT NULL DEFAULT 1`);
    await queryRunner.query(`ALTER TABLE "hubs" ADD CONSTRAINT "CHK_hubs_version" CHECK ("version" >= 1)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "hubs" DROP CONSTRAINT "CHK_hubs_version"`);
    await queryRunner.query(`ALTER TABLE "hubs" DROP COLUMN "version"`);
  }
}
