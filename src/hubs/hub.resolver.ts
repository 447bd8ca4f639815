import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { GatewayContext } from '../graphql/context';
import { listCost } from '../graphql/operation-limits';
import { HubStatusId, type Hub } from './hub.entity';
import { HUB_LIMITS, type HubInput } from './hub.rules';
import type { HubOrderField as OrderField, SortDirection } from './hub.cursor';
import { CreateHubInput, DeleteHubArgs, HUB_ID, HubConnectionArgs, HubsArgs, UpdateHubArgs, type UpdateHubInput } from './hub.input';
import type { HubChange, HubChangeTopic } from './hub.changes';
import type { HubConnectionPage, HubPageResult, HubReader, HubService, VersionCondition } from './hub.service';
import { HubChangeObject, HubConnectionObject, HubObject, HubOrderField, HubPageObject, HubStatus, OrderDirection } from './hub.type';

const STATUS_IDS: Readonly<Record<string, HubStatusId>> = {
  [HubStatus.ACTIVE]: HubStatusId.Active,
  [HubStatus.PAUSED]: HubStatusId.Paused,
};

const ORDER_FIELDS: Readonly<Record<HubOrderField, OrderField>> = {
  [HubOrderField.CREATED_AT]: 'createdAt',
  [HubOrderField.UPDATED_AT]: 'updatedAt',
  [HubOrderField.NAME]: 'name',
};
const DIRECTIONS: Readonly<Record<OrderDirection, SortDirection>> = { [OrderDirection.ASC]: 'asc', [OrderDirection.DESC]: 'desc' };

/** A status no enum value names: the rules refuse it as unsupported, as GraphQL's enum does. */
const NOT_A_STATUS = 0;

/** The topic of hubChanged, served by hub.graphql.ts from HubService.watch. */
export const HUB_CHANGES_TOPIC = 'HUB_CHANGES';

/** GraphQL's view of `HubService`: arguments in, service call, entity out. */
@Resolver(() => HubObject)
export class HubResolver {
  constructor(private readonly hubService: HubService) {}

  @Query(() => HubObject, { nullable: true, description: "One hub of your tenant by its id; null when absent or another tenant's (REST: GET /api/v1/hubs/{hubId})." })
  hub(@Arg('hubId', () => ID, { description: HUB_ID }) hubId: string, @Ctx() context: GatewayContext): Promise<Hub | null> {
    return this.readerOf(context).get(hubId);
  }

  @Query(() => HubPageObject, {
    description: "A page of your tenant's hubs by number, oldest first, with the total (REST: GET /api/v1/hubs).",
    complexity: listCost((args) => pageSizeForCost(args.pageSize)),
  })
  hubs(@Args(() => HubsArgs) { pageNumber, pageSize }: HubsArgs, @Ctx() context: GatewayContext): Promise<HubPageResult> {
    return this.hubService.list(context.requireCaller(), { pageNumber, pageSize }, context.budget);
  }

  @Query(() => [HubObject], {
    nullable: 'items',
    complexity: listCost((args) => clamp(Array.isArray(args.hubIds) ? args.hubIds.length : 1, 1, HUB_LIMITS.hubIdsMax)),
    description: `Many hubs at once: 1-${HUB_LIMITS.hubIdsMax} ids, answered in the order asked, one entry per id (a repeated id is answered each time), null where a hub is absent or another tenant's. One database round trip for the list.`,
  })
  hubsByIds(@Arg('hubIds', () => [ID], { description: `1-${HUB_LIMITS.hubIdsMax} hub ids (GUIDs); repeats allowed.` }) hubIds: string[], @Ctx() context: GatewayContext): Promise<(Hub | null)[]> {
    return this.readerOf(context).getMany(hubIds);
  }

  @Query(() => HubConnectionObject, {
    description:
      "Cursor pages of your tenant's hubs (the Relay connection specification), filtered and ordered: a page never skips or repeats a hub, " +
      'whatever is created or deleted meanwhile. Page forward with first/after, backward with last/before.',
    complexity: listCost((args) => clamp(connectionSize(args.first ?? args.last), 1, HUB_LIMITS.connectionSizeMax)),
  })
  async hubConnection(@Args(() => HubConnectionArgs) { first, after, last, before, filter, orderBy }: HubConnectionArgs, @Ctx() context: GatewayContext): Promise<HubConnectionView> {
    const page = await this.hubService.connection(
      context.requireCaller(),
      {
        first,
        after,
        last,
        before,
        filter: filter && { statusId: filter.status === null || filter.status === undefined ? undefined : STATUS_IDS[filter.status], nameContains: filter.nameContains },
        order: orderBy && { field: ORDER_FIELDS[orderBy.field], direction: DIRECTIONS[orderBy.direction] },
      },
      context.budget,
    );
    return { ...page, nodes: page.edges.map((edge) => edge.node) };
  }

  @Mutation(() => HubObject, {
    description: 'Creates a hub in your tenant (REST: POST /api/v1/hubs). With an Idempotency-Key header, a retry within 24 h gets the first answer again.',
  })
  createHub(@Arg('input', () => CreateHubInput, { description: 'The new hub.' }) input: CreateHubInput, @Ctx() context: GatewayContext): Promise<Hub> {
    return this.hubService.create(context.requireCaller(), toHubInput(input), context.budget, { idempotencyKey: context.idempotencyKey });
  }

  @Mutation(() => HubObject, { description: 'Changes the fields given and answers the hub as it is now (REST: PUT /api/v1/hubs/{hubId}); NOT_FOUND when absent.' })
  updateHub(@Args(() => UpdateHubArgs) { hubId, input, expectedVersion }: UpdateHubArgs, @Ctx() context: GatewayContext): Promise<Hub> {
    return this.hubService.update(context.requireCaller(), hubId, toHubInput(input), context.budget, versionCondition(expectedVersion));
  }

  @Mutation(() => HubObject, { description: 'Deletes a hub and answers it as it was (REST: DELETE /api/v1/hubs/{hubId}); NOT_FOUND when absent.' })
  deleteHub(@Args(() => DeleteHubArgs) { hubId, expectedVersion }: DeleteHubArgs, @Ctx() context: GatewayContext): Promise<Hub> {
    return this.hubService.delete(context.requireCaller(), hubId, context.budget, versionCondition(expectedVersion));
  }

  @Subscription(() => HubChangeObject, {
    description:
      "Every committed change of your tenant's hubs from now on, or of one hub with hubId, on any instance: each once, in commit order for a hub; a write that failed announces nothing. Over WebSocket at /graphql.",
    topics: HUB_CHANGES_TOPIC,
    topicId: ({ args, context }) => ({ caller: (context as GatewayContext).requireCaller(), hubId: args.hubId }) satisfies HubChangeTopic,
  })
  hubChanged(
    @Root() change: HubChange,
    @Arg('hubId', () => ID, { nullable: true, description: "Only this hub's changes (a GUID). Absent: every hub of your tenant." }) _hubId?: string,
  ): HubChangeView {
    return { kind: change.kind, hubId: change.hub.hubId, hub: change.hub };
  }

  /** One reader per operation, so every `hub` and `hubsByIds` field of it shares one batch. */
  /** A federated graph's reference to a hub (`_entities`): in the caller's tenant, null elsewhere. */
  hubByReference(reference: Readonly<Record<string, unknown>>, context: GatewayContext): Promise<Hub | null> {
    return this.readerOf(context).get(reference.hubId);
  }

  private readerOf(context: GatewayContext): HubReader {
    return context.once(HUB_READER, () => this.hubService.reader(context.requireCaller(), context.budget));
  }

  @FieldResolver(() => HubStatus)
  status(@Root() hub: Hub): HubStatus {
    return hub.statusId === HubStatusId.Paused ? HubStatus.PAUSED : HubStatus.ACTIVE;
  }
}

type HubChangeView = { readonly kind: HubChange['kind']; readonly hubId: string; readonly hub: Hub };

/** A connection page as GraphQL shows it: `nodes` beside `edges`. */
type HubConnectionView = HubConnectionPage & { readonly nodes: readonly Hub[] };

/** `totalCount` is a statement of its own: it runs only when a query selects it. */
@Resolver(() => HubConnectionObject)
export class HubConnectionResolver {
  @FieldResolver(() => Int)
  totalCount(@Root() page: HubConnectionView): Promise<number> {
    return page.totalCount();
  }
}

const connectionSize = (size: unknown): number => (Number.isInteger(size) ? (size as number) : HUB_LIMITS.connectionSizeDefault);

/** The key of the operation's HubReader in its context. */
const HUB_READER = {};

const clamp = (value: number, min: number, max: number): number => Math.min(Math.max(value, min), max);

const versionCondition = (expectedVersion: number | null | undefined): VersionCondition =>
  expectedVersion === null || expectedVersion === undefined ? {} : { versions: [expectedVersion] };

/**
 * The page size a `hubs` field runs with, clamped to 1-100 for its cost: a size outside that range
 * is refused by the service with its own BAD_USER_INPUT, which the cost limit must not pre-empt.
 */
function pageSizeForCost(pageSize: unknown): number {
  return clamp(Number.isInteger(pageSize) ? (pageSize as number) : HUB_LIMITS.pageSizeDefault, 1, HUB_LIMITS.pageSizeMax);
}

/**
 * A GraphQL hub input as the rules read it: `status` becomes `statusId`; absent stays absent and
 * null stays null. It reads coerced input (resolvers) and raw variables alike (the argument judges
 * of hub.graphql.ts, for inputs graphql-js refused): a status that is no enum value is refused as
 * unsupported, a status that is not even a string as a wrong type, as graphql-js refuses them.
 */
export function toHubInput(input: CreateHubInput | UpdateHubInput | Readonly<Record<string, unknown>>): HubInput {
  const { status, ...rest } = input as Record<string, unknown>;
  let statusId: unknown = status;
  if (typeof status === 'string') statusId = STATUS_IDS[status] ?? NOT_A_STATUS;
  else if (status !== undefined && status !== null) statusId = String(status);
  return { ...rest, statusId };
}
