import { DateTimeISOResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

/** GraphQL's name for Hubster's `statusId`. */
export enum HubStatus {
  ACTIVE = 'ACTIVE',
  PAUSED = 'PAUSED',
}

registerEnumType(HubStatus, {
  name: 'HubStatus',
  description: "Whether a hub is in use. REST's statusId: 2000 is ACTIVE, 2002 is PAUSED.",
  valuesConfig: {
    ACTIVE: { description: 'In use (statusId 2000). The default of a new hub.' },
    PAUSED: { description: 'Kept, but not in use (statusId 2002).' },
  },
});

// simpleResolvers: these fields are plain properties; type-graphql need not wrap each one in its
// middleware and validation machinery (50 hubs x 9 fields per page add up).
@ObjectType('Hub', { description: 'A container of a messaging configuration, owned by one tenant.', simpleResolvers: true })
export class HubObject {
  @Field(() => ID, { description: 'The hub\'s id, a GUID given by the gateway on create (REST: hubId).' })
  hubId!: string;

  @Field(() => ID, { description: 'The tenant that owns the hub: always the caller\'s own (from the token).' })
  tenantId!: string;

  @Field(() => String, { description: 'Unique in the tenant, ignoring case; 1-100 characters, trimmed, in NFC.' })
  name!: string;

  @Field(() => String, { description: 'Free text for people, at most 1000 characters, kept exactly as sent; may be empty.' })
  description!: string;

  @Field(() => Int, { description: 'Days after which a dormant conversation is closed; 0 keeps it open.' })
  closeDormantConversation!: number;

  @Field(() => Int, { description: 'As in REST: 2000 (Active) or 2002 (Paused).' })
  statusId!: number;

  /** Resolved from `statusId` by `HubResolver.status`. */
  @Field(() => HubStatus, { description: 'The status as a name; the same as statusId.' })
  status!: HubStatus;

  @Field(() => Int, { description: "1 when created, +1 on every change. Send it back as `expectedVersion` to change the hub only if nobody else has; REST's ETag follows it." })
  version!: number;

  @Field(() => DateTimeISOResolver, { description: 'When the hub was created (UTC, millisecond precision). Not in REST.' })
  createdAt!: Date;

  @Field(() => DateTimeISOResolver, { description: 'When the hub last changed; its creation time until then. Not in REST.' })
  updatedAt!: Date;
}

@ObjectType('HubPage', { description: "One page of the tenant's hubs, oldest first.", simpleResolvers: true })
export class HubPageObject {
  @Field(() => Int, { description: 'The page answered, from 0.' })
  pageNumber!: number;

  @Field(() => Int, { description: 'The page size asked for; the last page may hold fewer.' })
  pageSize!: number;

  @Field(() => Int, { description: "How many hubs the tenant has in all." })
  total!: number;

  @Field(() => [HubObject], { description: 'The hubs of this page, oldest first (then by hubId); empty past the last page.' })
  results!: HubObject[];
}
