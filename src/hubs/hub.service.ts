import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import { requirePermission, type Caller } from '../auth/caller';
import { Deadline } from '../common/deadline';
import { Semaphore } from '../common/semaphore';
import type { RequestBudget, TenantWork } from '../db/database';
import { IdempotencyInProgressError, IdempotencyKeyReusedError } from '../idempotency/idempotency.errors';
import type { IdempotencyRepository } from '../idempotency/idempotency.repository';
import { checkIdempotencyKey, fingerprint } from '../idempotency/idempotency.rules';
import { HubChangeFeed, type HubChange, type HubChangeTopic } from './hub.changes';
import { encodeCursor } from './hub.cursor';
import { Hub, type HubSummary } from './hub.entity';
import { HubNameTakenError, HubNotFoundError, HubVersionMismatchError } from './hub.errors';
import type { HubPage, HubRepository } from './hub.repository';
import {
  checkHubChanges,
  checkHubId,
  checkHubIds,
  HUB_LIMITS,
  checkNewHub,
  checkPageRequest,
  checkConnectionRequest,
  type ConnectionArgs,
  type HubInput,
  type NewHubProperties,
  type PageRequest,
} from './hub.rules';

export type { HubInput } from './hub.rules';

/**
 * Optimistic concurrency: the versions the caller last read (REST's `If-Match`, GraphQL's
 * `expectedVersion`). The write happens only when the hub's version is one of them; an empty list
 * matches no version. Absent, the write is unconditional.
 */
export interface VersionCondition {
  readonly versions?: readonly number[];
}

/** A page of hubs as both transports answer it. */
export interface HubPageResult<T = Hub> extends PageRequest {
  readonly total: number;
  readonly results: readonly T[];
}

export interface HubEdge {
  readonly cursor: string;
  readonly node: Hub;
}

/** A page of a connection, in the Relay shape that both a GraphQL and a future transport can show. */
export interface HubConnectionPage {
  readonly edges: readonly HubEdge[];
  readonly pageInfo: {
    readonly hasNextPage: boolean;
    readonly hasPreviousPage: boolean;
    readonly startCursor: string | null;
    readonly endCursor: string | null;
  };
  /** How many hubs match the filter; counted when first asked, once. */
  totalCount(): Promise<number>;
}

/**
 * Every hub use case, for every transport. Each method checks the caller's scope, applies the
 * contract's rules and works only inside the caller's tenant, within the request's budget (its
 * deadline and its lane of database connections).
 */
export class HubService {
  constructor(
    private readonly repository: HubRepository,
    private readonly idempotency: IdempotencyRepository,
    /** Where the committed changes this instance hears are handed out (hub.module.ts feeds it). */
    readonly changes: HubChangeFeed = new HubChangeFeed(),
  ) {}

  /**
   * The committed changes of the caller's tenant from now on, or of one of its hubs (CONTRACT.md
   * section 4a); needs the read scope.
   */
  watch(topic: HubChangeTopic): AsyncIterableIterator<HubChange> {
    return this.changes.subscribe(topic);
  }

  /**
   * Creates a hub. With an `idempotencyKey`, a retry of the same create within 24 hours gets the
   * first answer again and creates nothing (CONTRACT.md section 3).
   */
  async create(caller: Caller, input: HubInput, budget: RequestBudget, options: { idempotencyKey?: string } = {}): Promise<Hub> {
    requirePermission(caller, 'write');
    const properties = checkNewHub(input);
    const work = tenantWork(caller, budget);
    if (options.idempotencyKey === undefined) return this.repository.insert(work, randomUUID(), properties);
    return this.createOnce(work, checkIdempotencyKey(options.idempotencyKey), properties);
  }

  /**
   * The key is claimed (and committed) first, so a concurrent retry sees it in progress (409);
   * the hub and the recorded answer are then written in one transaction, so an answered create
   * is never lost and a crash leaves no answer without its hub. A name already taken is an answer
   * too; anything else (a deadline included) frees the key for a retry.
   */
  private async createOnce(work: TenantWork, key: string, properties: NewHubProperties): Promise<Hub> {
    const requestHash = fingerprint([properties.name, properties.description, properties.closeDormantConversation, properties.statusId]);
    const claim = await this.idempotency.claim(work, key, requestHash);
    if (!claim.claimed) {
      if (claim.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
      if (claim.outcome === null) throw new IdempotencyInProgressError();
      return replay(claim.outcome as CreateOutcome);
    }
    try {
      return await this.idempotency.transaction(work, async (transaction) => {
        const hub = await this.repository.insert(work, randomUUID(), properties, transaction);
        await this.idempotency.complete(work, key, { hub } satisfies CreateOutcome, transaction);
        return hub;
      });
    } catch (error) {
      if (error instanceof HubNameTakenError) {
        await this.idempotency.complete(work, key, { nameTaken: error.hubName } satisfies CreateOutcome);
      } else {
        // Also past the deadline: a key left claimed would answer 409 to every retry for a while.
        await this.idempotency.release(cleanupWork(work), key).catch(() => undefined);
      }
      throw error;
    }
  }

  /**
   * Changes only the properties present in `input`; absent ones keep their value. A change counts
   * the version up; an input with nothing in it changes nothing, so it keeps the version.
   */
  async update(caller: Caller, hubId: unknown, input: HubInput, budget: RequestBudget, condition: VersionCondition = {}): Promise<Hub> {
    requirePermission(caller, 'write');
    const id = checkHubId(hubId);
    const changes = checkHubChanges(input);
    const work = tenantWork(caller, budget);
    if (Object.keys(changes).length === 0) {
      const hub = await this.repository.findOne(work, id);
      if (hub === null) throw new HubNotFoundError(id);
      if (!versionMatches(hub, condition)) throw new HubVersionMismatchError(id, hub.version);
      return hub;
    }
    return (await this.repository.update(work, id, changes, condition.versions)) ?? this.refusal(work, id);
  }

  /** Deletes the hub and answers it as it was. */
  async delete(caller: Caller, hubId: unknown, budget: RequestBudget, condition: VersionCondition = {}): Promise<Hub> {
    requirePermission(caller, 'write');
    const id = checkHubId(hubId);
    const work = tenantWork(caller, budget);
    return (await this.repository.delete(work, id, condition.versions)) ?? this.refusal(work, id);
  }

  /**
   * Why a conditional write changed nothing: the hub is gone (404), or it is there with another
   * version (412). The write itself compared the version; this read only names the reason.
   */
  private async refusal(work: TenantWork, id: string): Promise<never> {
    const hub = await this.repository.findOne(work, id);
    if (hub === null) throw new HubNotFoundError(id);
    throw new HubVersionMismatchError(id, hub.version);
  }

  /** The hub, or null when it does not exist in the caller's tenant. */
  async get(caller: Caller, hubId: unknown, budget: RequestBudget): Promise<Hub | null> {
    requirePermission(caller, 'read');
    return this.repository.findOne(tenantWork(caller, budget), checkHubId(hubId));
  }

  /**
   * `get` for a caller that answers only what REST answers: the timestamps, which REST never
   * returns, are neither read nor parsed (a fifth of the database work of a page of 50).
   */
  async getSummary(caller: Caller, hubId: unknown, budget: RequestBudget): Promise<HubSummary | null> {
    requirePermission(caller, 'read');
    return this.repository.findSummary(tenantWork(caller, budget), checkHubId(hubId));
  }

  /**
   * The hubs of `hubIds` (1-100), one entry per id asked, in that order, null where a hub does not
   * exist in the caller's tenant; one statement for the list.
   */
  getMany(caller: Caller, hubIds: unknown, budget: RequestBudget): Promise<(Hub | null)[]> {
    return this.reader(caller, budget).getMany(hubIds);
  }

  /**
   * Lookups by id for one request that may ask for many hubs in many places (a GraphQL operation):
   * the lookups made together go to the database as one statement, and each hub is fetched once.
   */
  reader(caller: Caller, budget: RequestBudget): HubReader {
    return new HubReader(this.repository, caller, tenantWork(caller, budget));
  }

  /**
   * A cursor page of the tenant's hubs (CONTRACT.md section 4, `hubConnection`): a keyset page
   * from the cursor, in a total order (ties by hub id), with exact `pageInfo` both ways. The count
   * is a statement of its own, run only for a caller that asks for it.
   */
  async connection(caller: Caller, args: ConnectionArgs, budget: RequestBudget): Promise<HubConnectionPage> {
    requirePermission(caller, 'read');
    const request = checkConnectionRequest(args);
    const work = tenantWork(caller, budget);
    const slice = await this.repository.findSlice(work, request);
    const edges = slice.hubs.map(({ hub, position }) => ({ cursor: encodeCursor(request.order, position), node: hub }));
    let total: Promise<number> | undefined;
    return {
      edges,
      pageInfo: {
        hasNextPage: request.backward ? slice.behind : slice.more,
        hasPreviousPage: request.backward ? slice.more : slice.behind,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      totalCount: () => (total ??= this.repository.count(work, request.filter)),
    };
  }

  /** One page of the tenant's hubs, oldest first, with the tenant's total. */
  async list(caller: Caller, request: { pageNumber?: unknown; pageSize?: unknown }, budget: RequestBudget): Promise<HubPageResult> {
    requirePermission(caller, 'read');
    const page = checkPageRequest(request);
    const { hubs, total }: HubPage = await this.repository.findPage(tenantWork(caller, budget), page);
    return { ...page, total, results: hubs };
  }

  /** `list` of summaries, for the same reason as `getSummary`. */
  async listSummaries(caller: Caller, request: { pageNumber?: unknown; pageSize?: unknown }, budget: RequestBudget): Promise<HubPageResult<HubSummary>> {
    requirePermission(caller, 'read');
    const page = checkPageRequest(request);
    const { hubs, total } = await this.repository.findSummaryPage(tenantWork(caller, budget), page);
    return { ...page, total, results: hubs };
  }
}

function versionMatches(hub: Hub, { versions }: VersionCondition): boolean {
  return versions === undefined || versions.includes(hub.version);
}

/**
 * A request's lookups of hubs by id (DataLoader): those made in one tick of the event loop are
 * one `hub_id = ANY(...)` statement of at most `hubIdsMax` ids, and an id asked again is answered
 * from the first answer. It lives as long as its request, so it never serves another caller, and
 * a request that reads does not write (GraphQL runs queries and mutations in separate operations).
 */
export class HubReader {
  private readonly loader: DataLoader<string, Hub | null>;

  constructor(
    repository: HubRepository,
    private readonly caller: Caller,
    work: TenantWork,
  ) {
    this.loader = new DataLoader(
      async (hubIds) => {
        const found = new Map((await repository.findMany(work, hubIds)).map((hub) => [hub.hubId, hub]));
        return hubIds.map((hubId) => found.get(hubId) ?? null);
      },
      { maxBatchSize: HUB_LIMITS.hubIdsMax },
    );
  }

  /** The hub, or null when it does not exist in the caller's tenant. */
  get(hubId: unknown): Promise<Hub | null> {
    requirePermission(this.caller, 'read');
    return this.loader.load(checkHubId(hubId));
  }

  async getMany(hubIds: unknown): Promise<(Hub | null)[]> {
    requirePermission(this.caller, 'read');
    const answers = await this.loader.loadMany(checkHubIds(hubIds));
    const failure = answers.find((answer): answer is Error => answer instanceof Error);
    if (failure !== undefined) throw failure;
    return answers as (Hub | null)[];
  }
}

/** The request's budget, drawn from the caller's tenant's share of the database. */
function tenantWork(caller: Caller, budget: RequestBudget): TenantWork {
  return { tenantId: caller.tenantId, deadline: budget.deadline, lane: budget.lane };
}

/** Clean-up that must run even when the request's own deadline has passed; it stays brief. */
const CLEANUP_TIMEOUT_MS = 2000;

function cleanupWork(work: TenantWork): TenantWork {
  return { tenantId: work.tenantId, deadline: new Deadline(CLEANUP_TIMEOUT_MS), lane: new Semaphore(1) };
}

/** The answer of a keyed create, as stored with its key (JSON). */
type CreateOutcome = { hub: Hub } | { nameTaken: string };

/** The first answer again: the hub as it was created (not as it is now), or the same refusal. */
function replay(outcome: CreateOutcome): Hub {
  if ('nameTaken' in outcome) throw new HubNameTakenError(outcome.nameTaken);
  const stored = outcome.hub as unknown as Record<keyof Hub, unknown>;
  return Object.assign(new Hub(), stored, {
    // Answers recorded before hubs had versions: a create's answer is always version 1.
    version: (stored.version as number | undefined) ?? 1,
    createdAt: new Date(stored.createdAt as string),
    updatedAt: new Date(stored.updatedAt as string),
  });
}
