import type { HubSummary } from './hub.entity';
import type { HubPageResult } from './hub.service';

/** A hub as Hubster's REST callers know it: exactly the documented fields, nothing else. */
export interface HubResponse {
  readonly hubId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly description: string;
  readonly closeDormantConversation: number;
  readonly statusId: number;
}

export interface HubPageResponse {
  readonly pageNumber: number;
  readonly pageSize: number;
  readonly total: number;
  readonly results: readonly HubResponse[];
}

/** Lists the fields it answers, so timestamps or future columns never leak into REST. */
export function toHubResponse(hub: HubSummary): HubResponse {
  return {
    hubId: hub.hubId,
    tenantId: hub.tenantId,
    name: hub.name,
    description: hub.description,
    closeDormantConversation: hub.closeDormantConversation,
    statusId: hub.statusId,
  };
}

export function toHubPageResponse(page: HubPageResult<HubSummary>): HubPageResponse {
  return { pageNumber: page.pageNumber, pageSize: page.pageSize, total: page.total, results: page.results.map(toHubResponse) };
}
