import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { HUB_LIMITS } from './hub.rules';
import { HubOrderField, HubStatus, OrderDirection } from './hub.type';

const NAME = `1-${HUB_LIMITS.nameMaxLength} characters once trimmed, unique in the tenant ignoring case; no control characters.`;
const DESCRIPTION = `At most ${HUB_LIMITS.descriptionMaxLength} characters; may be empty; kept exactly as sent.`;
const CLOSE_DORMANT = `Days (0-${HUB_LIMITS.closeDormantConversationMax}) after which a dormant conversation is closed; 0 or null keeps conversations open.`;

/**
 * GraphQL's shape of a create. The rules (trimming, lengths, ranges, NUL) are not repeated here:
 * `HubService` asks `hub.rules.ts`, the one judge of both transports.
 */
@InputType('CreateHubInput', { description: 'A new hub. The same rules as REST\'s POST /api/v1/hubs.' })
export class CreateHubInput {
  @Field(() => String, { description: NAME })
  name!: string;

  @Field(() => String, { description: DESCRIPTION })
  description!: string;

  @Field(() => Int, { nullable: true, description: CLOSE_DORMANT })
  closeDormantConversation?: number | null;

  @Field(() => HubStatus, { nullable: true, description: 'ACTIVE when absent or null.' })
  status?: HubStatus | null;
}

/** GraphQL's shape of an update: only the fields given change. */
@InputType('UpdateHubInput', { description: 'The changes to a hub: only the fields given change, absent ones keep their value.' })
export class UpdateHubInput {
  @Field(() => String, { nullable: true, description: `${NAME} Absent: unchanged; null is refused.` })
  name?: string | null;

  @Field(() => String, { nullable: true, description: `${DESCRIPTION} Absent: unchanged; null is refused.` })
  description?: string | null;

  @Field(() => Int, { nullable: true, description: `${CLOSE_DORMANT} Absent: unchanged.` })
  closeDormantConversation?: number | null;

  @Field(() => HubStatus, { nullable: true, description: 'Absent: unchanged; null is refused.' })
  status?: HubStatus | null;
}

/** Shared with the resolver's own hubId arguments. */
export const HUB_ID = "The hub's id (a GUID, any case). Another tenant's hub is absent for you.";

const EXPECTED_VERSION =
  'The `version` the hub had when you read it. When it has changed since, nothing changes and the error is ' +
  'PRECONDITION_FAILED (REST: If-Match, 412). Null or absent: the change is made whatever the version.';

/*
 * Argument classes keep the contract's argument order in the schema (type-graphql lists separate
 * @Arg parameters last to first).
 */

@ArgsType()
export class HubsArgs {
  @Field(() => Int, { defaultValue: HUB_LIMITS.pageNumberDefault, description: 'The page, from 0 (REST: pageNumber). Past the last page, results are empty.' })
  pageNumber!: number;

  @Field(() => Int, { defaultValue: HUB_LIMITS.pageSizeDefault, description: `Hubs per page, 1-${HUB_LIMITS.pageSizeMax} (REST: pageSize).` })
  pageSize!: number;
}

@ArgsType()
export class UpdateHubArgs {
  @Field(() => ID, { description: HUB_ID })
  hubId!: string;

  @Field(() => UpdateHubInput, { description: 'The fields to change.' })
  input!: UpdateHubInput;

  @Field(() => Int, { nullable: true, description: EXPECTED_VERSION })
  expectedVersion?: number | null;
}

@ArgsType()
export class DeleteHubArgs {
  @Field(() => ID, { description: HUB_ID })
  hubId!: string;

  @Field(() => Int, { nullable: true, description: EXPECTED_VERSION })
  expectedVersion?: number | null;
}

@InputType('HubFilter', { description: 'Which hubs a connection holds; every field given must match, absent fields do not filter.' })
export class HubFilterInput {
  @Field(() => HubStatus, { nullable: true, description: 'Only hubs with this status.' })
  status?: HubStatus | null;

  @Field(() => String, {
    nullable: true,
    description: `Only hubs whose name contains this text, ignoring case; 1-${HUB_LIMITS.nameContainsMaxLength} characters, matched literally (% _ and \\ are themselves).`,
  })
  nameContains?: string | null;
}

@InputType('HubOrder', { description: 'The order of a connection; ties are broken by hubId.' })
export class HubOrderInput {
  @Field(() => HubOrderField, { defaultValue: HubOrderField.CREATED_AT, description: 'What to sort by.' })
  field!: HubOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC, description: 'Which way.' })
  direction!: OrderDirection;
}

const SIZE = `1-${HUB_LIMITS.connectionSizeMax}.`;

@ArgsType()
export class HubConnectionArgs {
  @Field(() => Int, { nullable: true, description: `Page forward: the first this many hubs after \`after\` (or from the start), ${SIZE} With neither first nor last: first ${HUB_LIMITS.connectionSizeDefault}.` })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'A cursor (endCursor of the page before): the page starts just after it. Not with last.' })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: `Page backward: the last this many hubs before \`before\` (or up to the end), ${SIZE} Not with first.` })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'A cursor (startCursor of the page after): the page ends just before it. Not with first.' })
  before?: string | null;

  @Field(() => HubFilterInput, { nullable: true, description: 'Which hubs; absent: all of the tenant\'s.' })
  filter?: HubFilterInput | null;

  @Field(() => HubOrderInput, { nullable: true, description: 'The order; absent: CREATED_AT ASC, oldest first.' })
  orderBy?: HubOrderInput | null;
}
