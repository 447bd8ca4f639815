import { randomUUID } from 'node:crypto';
import { requirePermission, type Caller } from '../auth/caller';
import type { Hub } from './hub.entity';
import { HubNotFoundError } from './hub.errors';
import type { HubPage, HubRepository } from './hub.repository';
import { checkHubChanges, checkHubId, checkNewHub, checkPageRequest, type HubInput, type PageRequest } from './hub.rules';

export type { HubInput } from './hub.rules';

/** A page of hubs as both transports answer it. */
export interface HubPageResult extends PageRequest {
  readonly total: number;
  readonly results: readonly Hub[];
}

/**
 * Every hub use case, for every transport. Each method checks the caller's scope, applies the
 * contract's rules and works only inside the caller's tenant.
 */
export class HubService {
  constructor(private readonly repository: HubRepository) {}

  async create(caller: Caller, input: HubInput): Promise<Hub> {
    requirePermission(caller, 'write');
    const properties = checkNewHub(input);
    return this.repository.insert(caller.tenantId, randomUUID(), properties);
  }

  /** Changes only the properties present in `input`; absent ones keep their value. */
  async update(caller: Caller, hubId: unknown, input: HubInput): Promise<Hub> {
    requirePermission(caller, 'write');
    const id = checkHubId(hubId);
    const changes = checkHubChanges(input);
    const hub =
      Object.keys(changes).length === 0
        ? await this.repository.findOne(caller.tenantId, id)
        : await this.repository.update(caller.tenantId, id, changes);
    if (hub === null) throw new HubNotFoundError(id);
    return hub;
  }

  /** Deletes the hub and answers it as it was. */
  async delete(caller: Caller, hubId: unknown): Promise<Hub> {
    requirePermission(caller, 'write');
    const id = checkHubId(hubId);
    const hub = await this.repository.delete(caller.tenantId, id);
    if (hub === null) throw new HubNotFoundError(id);
    return hub;
  }

  /** The hub, or null when it does not exist in the caller's tenant. */
  async get(caller: Caller, hubId: unknown): Promise<Hub | null> {
    requirePermission(caller, 'read');
    return this.repository.findOne(caller.tenantId, checkHubId(hubId));
  }

  /** One page of the tenant's hubs, oldest first, with the tenant's total. */
  async list(caller: Caller, request: { pageNumber?: unknown; pageSize?: unknown }): Promise<HubPageResult> {
    requirePermission(caller, 'read');
    const page = checkPageRequest(request);
    const { hubs, total }: HubPage = await this.repository.findPage(caller.tenantId, page);
    return { ...page, total, results: hubs };
  }
}
