import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { HUB_LIMITS } from './hub.rules';
import { HubStatus } from './hub.type';

/**
 * GraphQL's shape of a create. The rules (trimming, lengths, ranges, NUL) are not repeated here:
 * `HubService` asks `hub.rules.ts`, the one judge of both transports.
 */
@InputType('CreateHubInput')
export class CreateHubInput {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  description!: string;

  @Field(() => Int, { nullable: true })
  closeDormantConversation?: number | null;

  @Field(() => HubStatus, { nullable: true })
  status?: HubStatus | null;
}

/** GraphQL's shape of an update: only the fields given change. */
@InputType('UpdateHubInput')
export class UpdateHubInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Int, { nullable: true })
  closeDormantConversation?: number | null;

  @Field(() => HubStatus, { nullable: true })
  status?: HubStatus | null;
}

const EXPECTED_VERSION =
  'The `version` the hub had when you read it. When it has changed since, nothing changes and the error is ' +
  'PRECONDITION_FAILED (REST: If-Match, 412). Null or absent: the change is made whatever the version.';

/*
 * Argument classes keep the contract's argument order in the schema (type-graphql lists separate
 * @Arg parameters last to first).
 */

@ArgsType()
export class HubsArgs {
  @Field(() => Int, { defaultValue: HUB_LIMITS.pageNumberDefault })
  pageNumber!: number;

  @Field(() => Int, { defaultValue: HUB_LIMITS.pageSizeDefault })
  pageSize!: number;
}

@ArgsType()
export class UpdateHubArgs {
  @Field(() => ID)
  hubId!: string;

  @Field(() => UpdateHubInput)
  input!: UpdateHubInput;

  @Field(() => Int, { nullable: true, description: EXPECTED_VERSION })
  expectedVersion?: number | null;
}

@ArgsType()
export class DeleteHubArgs {
  @Field(() => ID)
  hubId!: string;

  @Field(() => Int, { nullable: true, description: EXPECTED_VERSION })
  expectedVersion?: number | null;
}
