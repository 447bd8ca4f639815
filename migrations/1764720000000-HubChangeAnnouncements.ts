import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Live changes (CONTRACT.md section 4a): every statement that creates, changes or deletes a hub
 * calls `hubs_announce` for the row it wrote, inside its own transaction. `pg_notify` is
 * transactional: PostgreSQL delivers the notification when the transaction commits, in commit
 * order, and drops it when it rolls back, so a listener hears exactly the committed changes.
 *
 * The message is the change kind, the tenant and the whole hub as JSON. A notification payload
 * must be shorter than 8000 bytes; a hub fits unless its texts are long and escaped (a 1000-
 * character description of control characters is 6000 bytes of JSON). Such a message goes as
 * numbered parts of at most 1800 characters (at most 7200 bytes) under one id, which the listener
 * puts together: the whole hub always arrives, so a DELETED change (whose hub is gone) needs no
 * read.
 */
export class HubChangeAnnouncements1764720000000 implements MigrationInterface {
  name = 'HubChangeAnnouncements1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION hubs_announce(kind text, tenant uuid, hub json) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        message text := json_build_object('kind', kind, 'tenantId', tenant, 'hub', hub)::text;
        part_size constant int := 1800;
        parts int;
        id text;
      BEGIN
        IF octet_length(message) < 8000 THEN
          PERFORM pg_notify('hub_changes', message);
          RETURN;
        END IF;
        id := gen_random_uuid()::text;
        parts := ceil(length(message)::numeric / part_size);
        FOR part IN 1..parts LOOP
          PERFORM pg_notify('hub_changes', 'part:' || id || ':' || part || ':' || parts || ':' || substr(message, (part - 1) * part_size + 1, part_size));
        END LOOP;
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION hubs_announce(text, uuid, json)`);
  }
}
