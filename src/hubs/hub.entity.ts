import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Hubster's status ids (the seed page): Active = 2000, Paused = 2002. */
export const HubStatusId = { Active: 2000, Paused: 2002 } as const;
export type HubStatusId = (typeof HubStatusId)[keyof typeof HubStatusId];

/** Name of the unique index on `(tenant_id, name_key)`; its violation means "name taken". */
export const HUB_NAME_UNIQUE_INDEX = 'UQ_hubs_tenant_name_key';

/**
 * A hub, as stored. Every key leads with the tenant so each query is a single-tenant index lookup
 * and the table can be distributed by `tenant_id` (Citus) without a schema change.
 */
@Entity({ name: 'hubs' })
@Index(HUB_NAME_UNIQUE_INDEX, ['tenantId', 'nameKey'], { unique: true })
@Index('IDX_hubs_tenant_created_hub', ['tenantId', 'createdAt', 'hubId'])
// The keyset orders of hubConnection: every page is a range scan of one tenant.
@Index('IDX_hubs_tenant_updated_hub', ['tenantId', 'updatedAt', 'hubId'])
@Index('IDX_hubs_tenant_name_key_hub', ['tenantId', 'nameKey', 'hubId'])
// Trigrams of the name key for filter.nameContains: a GIN index with an operator class, which
// TypeORM cannot describe; the migration owns it, and TypeORM leaves it alone.
@Index('IDX_hubs_tenant_name_key_trgm', { synchronize: false })
@Check('CHK_hubs_close_dormant_conversation', '"close_dormant_conversation" BETWEEN 0 AND 3650')
@Check('CHK_hubs_status_id', '"status_id" IN (2000, 2002)')
@Check('CHK_hubs_version', '"version" >= 1')
export class Hub {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid', primaryKeyConstraintName: 'PK_hubs' })
  tenantId!: string;

  @PrimaryColumn({ name: 'hub_id', type: 'uuid', primaryKeyConstraintName: 'PK_hubs' })
  hubId!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /**
   * The name as uniqueness sees it (`hubNameKey`: NFC, full case folding), computed by the gateway
   * so that it does not depend on the database's locale. Never shown to clients.
   */
  @Column({ name: 'name_key', type: 'text' })
  nameKey!: string;

  @Column({ type: 'varchar', length: 1000 })
  description!: string;

  @Column({ name: 'close_dormant_conversation', type: 'integer', default: 0 })
  closeDormantConversation!: number;

  @Column({ name: 'status_id', type: 'integer', default: HubStatusId.Active })
  statusId!: HubStatusId;

  /**
   * 1 when created, +1 with every change, in the statement that makes the change: GraphQL's
   * `Hub.version` and REST's `ETag` (CONTRACT.md sections 3 and 4).
   */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** What a REST read needs of a hub: the fields REST answers, and the version its ETag names. */
export const HUB_SUMMARY_FIELDS = ['hubId', 'tenantId', 'name', 'description', 'closeDormantConversation', 'statusId', 'version'] as const;
export type HubSummary = Pick<Hub, (typeof HUB_SUMMARY_FIELDS)[number]>;
