import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { HUB_LIMITS } from './hub.rules';
import { HubStatus } from './hub.type';

/**
 * GraphQL's shape of a create. The rules (trimming, lengths, ranges, NUL) are not repeated here:
 * `HubService` applies the class-validator rules of `hub.rules.ts` to both transports alike.
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
}
