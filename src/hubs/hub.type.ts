import { DateTimeISOResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

/** GraphQL's name for Hubster's `statusId`. */
export enum HubStatus {
  ACTIVE = 'ACTIVE',
  PAUSED = 'PAUSED',
}

registerEnumType(HubStatus, { name: 'HubStatus', description: 'statusId 2000 (ACTIVE) or 2002 (PAUSED)' });

// simpleResolvers: these fields are plain properties; type-graphql need not wrap each one in its
// middleware and validation machinery (50 hubs x 9 fields per page add up).
@ObjectType('Hub', { description: 'A container of a messaging configuration, owned by one tenant.', simpleResolvers: true })
export class HubObject {
  @Field(() => ID)
  hubId!: string;

  @Field(() => ID)
  tenantId!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  description!: string;

  @Field(() => Int, { description: 'Days after which a dormant conversation is closed; 0 keeps it open.' })
  closeDormantConversation!: number;

  @Field(() => Int, { description: 'As in REST: 2000 (Active) or 2002 (Paused).' })
  statusId!: number;

  /** Resolved from `statusId` by `HubResolver.status`. */
  @Field(() => HubStatus)
  status!: HubStatus;

  @Field(() => Int, { description: "1 when created, +1 on every change. Send it back as `expectedVersion` to change the hub only if nobody else has; REST's ETag follows it." })
  version!: number;

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver)
  updatedAt!: Date;
}

@ObjectType('HubPage', { description: "One page of the tenant's hubs, oldest first.", simpleResolvers: true })
export class HubPageObject {
  @Field(() => Int)
  pageNumber!: number;

  @Field(() => Int)
  pageSize!: number;

  @Field(() => Int, { description: "How many hubs the tenant has in all." })
  total!: number;

  @Field(() => [HubObject])
  results!: HubObject[];
}
