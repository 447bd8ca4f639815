import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from '../graphql/context';
import { HubStatusId, type Hub } from './hub.entity';
import { CreateHubInput, HubsArgs, UpdateHubArgs, type UpdateHubInput } from './hub.input';
import type { HubInput } from './hub.rules';
import type { HubPageResult, HubService } from './hub.service';
import { HubObject, HubPageObject, HubStatus } from './hub.type';

const STATUS_IDS: Readonly<Record<HubStatus, HubStatusId>> = {
  [HubStatus.ACTIVE]: HubStatusId.Active,
  [HubStatus.PAUSED]: HubStatusId.Paused,
};

/** GraphQL's view of `HubService`: arguments in, service call, entity out. */
@Resolver(() => HubObject)
export class HubResolver {
  constructor(private readonly hubService: HubService) {}

  @Query(() => HubObject, { nullable: true, description: "Null when absent or another tenant's." })
  hub(@Arg('hubId', () => ID) hubId: string, @Ctx() context: GatewayContext): Promise<Hub | null> {
    return this.hubService.get(context.requireCaller(), hubId, context.budget);
  }

  @Query(() => HubPageObject)
  hubs(@Args(() => HubsArgs) { pageNumber, pageSize }: HubsArgs, @Ctx() context: GatewayContext): Promise<HubPageResult> {
    return this.hubService.list(context.requireCaller(), { pageNumber, pageSize }, context.budget);
  }

  @Mutation(() => HubObject)
  createHub(@Arg('input', () => CreateHubInput) input: CreateHubInput, @Ctx() context: GatewayContext): Promise<Hub> {
    return this.hubService.create(context.requireCaller(), toHubInput(input), context.budget, { idempotencyKey: context.idempotencyKey });
  }

  @Mutation(() => HubObject)
  updateHub(@Args(() => UpdateHubArgs) { hubId, input }: UpdateHubArgs, @Ctx() context: GatewayContext): Promise<Hub> {
    return this.hubService.update(context.requireCaller(), hubId, toHubInput(input), context.budget);
  }

  @Mutation(() => HubObject, { description: 'Answers the deleted hub.' })
  deleteHub(@Arg('hubId', () => ID) hubId: string, @Ctx() context: GatewayContext): Promise<Hub> {
    return this.hubService.delete(context.requireCaller(), hubId, context.budget);
  }

  @FieldResolver(() => HubStatus)
  status(@Root() hub: Hub): HubStatus {
    return hub.statusId === HubStatusId.Paused ? HubStatus.PAUSED : HubStatus.ACTIVE;
  }
}

/** Absent stays absent and null stays null, so the service applies REST's rules to both. */
function toHubInput(input: CreateHubInput | UpdateHubInput): HubInput {
  const { status, ...rest } = input;
  return {
    ...rest,
    statusId: status === undefined || status === null ? status : STATUS_IDS[status],
  };
}
