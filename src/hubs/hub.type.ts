import { DateTimeISOResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { HUB_LIMITS } from './hub.rules';

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

/** GraphQL's names of the orders of `hubConnection`. */
export enum HubOrderField {
  CREATED_AT = 'CREATED_AT',
  UPDATED_AT = 'UPDATED_AT',
  NAME = 'NAME',
}

registerEnumType(HubOrderField, {
  name: 'HubOrderField',
  description: 'What `hubConnection` sorts by; ties are broken by hubId, so the order is total.',
  valuesConfig: {
    CREATED_AT: { description: 'When the hub was created (the default; the order of REST pages).' },
    UPDATED_AT: { description: 'When the hub last changed: a change moves it in this order.' },
    NAME: { description: 'The name, ignoring case (as uniqueness compares names).' },
  },
});

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}

registerEnumType(OrderDirection, {
  name: 'OrderDirection',
  description: 'Which way an order runs.',
  valuesConfig: {
    ASC: { description: 'Smallest first: oldest, or A to Z.' },
    DESC: { description: 'Largest first: newest, or Z to A.' },
  },
});

@ObjectType('HubEdge', { description: 'A hub of a connection page, with its place in the order.', simpleResolvers: true })
export class HubEdgeObject {
  @Field(() => String, { description: 'Where this hub stands in the order: pass it as `after` (or `before`) to page on from here. Opaque; valid for the same orderBy only.' })
  cursor!: string;

  @Field(() => HubObject, { description: 'The hub.' })
  node!: HubObject;
}

@ObjectType('PageInfo', { description: 'Where a connection page stands in the whole order (the Relay connection specification).', simpleResolvers: true })
export class PageInfoObject {
  @Field(() => Boolean, { description: 'More hubs follow this page in the order: page on with `first` and `after: endCursor`.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'Hubs come before this page in the order: page back with `last` and `before: startCursor`.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: "The first edge's cursor; null when the page is empty." })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: "The last edge's cursor; null when the page is empty." })
  endCursor!: string | null;
}

@ObjectType('HubConnection', { description: `A cursor page of the tenant's hubs: at most ${HUB_LIMITS.connectionSizeMax}, in the order asked.` })
export class HubConnectionObject {
  @Field(() => [HubEdgeObject], { description: 'The hubs of this page with their cursors, in order.' })
  edges!: HubEdgeObject[];

  @Field(() => [HubObject], { description: 'The same hubs as `edges`, without cursors.' })
  nodes!: HubObject[];

  @Field(() => PageInfoObject, { description: 'Whether hubs come before or after this page, and its first and last cursors.' })
  pageInfo!: PageInfoObject;

  /** Resolved by `HubConnectionResolver.totalCount`, only when selected. */
  @Field(() => Int, { description: 'How many hubs match the filter in all pages. Counted only when selected.' })
  totalCount!: number;
}

export enum HubChangeKindValue {
  CREATED = 'CREATED',
  UPDATED = 'UPDATED',
  DELETED = 'DELETED',
}

registerEnumType(HubChangeKindValue, {
  name: 'HubChangeKind',
  description: 'What happened to a hub.',
  valuesConfig: {
    CREATED: { description: 'The hub was created (REST POST, createHub).' },
    UPDATED: { description: 'The hub was changed (REST PUT, updateHub); a PUT that changes nothing announces nothing.' },
    DELETED: { description: 'The hub was deleted (REST DELETE, deleteHub).' },
  },
});

@ObjectType('HubChange', { description: 'A committed change of a hub, announced once to every matching subscription.', simpleResolvers: true })
export class HubChangeObject {
  @Field(() => HubChangeKindValue, { description: 'Created, updated or deleted.' })
  kind!: HubChangeKindValue;

  @Field(() => ID, { description: 'The hub that changed.' })
  hubId!: string;

  @Field(() => HubObject, { description: 'The hub after the change; as it was, for DELETED.' })
  hub!: HubObject;
}
