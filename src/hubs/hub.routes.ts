import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Permission } from '../auth/caller';
import type { TokenVerifier } from '../auth/token-verifier';
import { accessHooks, type AccessHook } from '../http/access';
import { requestBudget, withDeadline } from '../http/deadline';
import { describingValidatorCompiler } from '../http/query-text';
import { idempotencyKeyOf } from '../http/idempotency-key';
import { HubNotFoundError } from './hub.errors';
import { toHubPageResponse, toHubResponse } from './hub.mapper';
import type { HubInput } from './hub.rules';
import { createHubSchema, deleteHubSchema, getHubSchema, listHubsSchema, updateHubSchema } from './hub.schemas';
import type { HubService } from './hub.service';

export interface HubRoutesDependencies {
  readonly hubService: HubService;
  readonly verifier: TokenVerifier;
  readonly rateLimit: AccessHook;
}

/** Hubster's collection of hubs. */
export const HUB_COLLECTION_PATH = '/api/v1/hubs';

/** A REST request runs its statements one after the other: one connection at a time is all it needs. */
const REST_CONNECTIONS = 1;

type HubIdParams = { hubId: string };
type PageQuery = { pageNumber?: unknown; pageSize?: unknown };


/**
 * Hubster's `/api/v1/hubs` routes (CONTRACT.md section 3, the seed page). They call `HubService`
 * and nothing else; the token, the rate limit and the scope are checked before the body is read,
 * and every handler runs under the request's deadline.
 */
export async function hubRoutes(app: FastifyInstance, deps: HubRoutesDependencies): Promise<void> {
  const { hubService } = deps;
  // The schemas describe the routes; hub.rules.ts alone judges what the service is sent.
  app.setValidatorCompiler(describingValidatorCompiler);

  const callerMay = (permission: Permission) =>
    accessHooks({ verifier: deps.verifier, rateLimit: deps.rateLimit, permission });
  const budget = (request: FastifyRequest) => requestBudget(request, REST_CONNECTIONS);

  app.post<{ Body: HubInput }>(
    HUB_COLLECTION_PATH,
    { schema: createHubSchema, onRequest: callerMay('write') },
    withDeadline<{ Body: HubInput }>(async (request) =>
      toHubResponse(await hubService.create(request.caller!, request.body, budget(request), { idempotencyKey: idempotencyKeyOf(request) })),
    ),
  );

  app.put<{ Params: HubIdParams; Body: HubInput }>(
    `${HUB_COLLECTION_PATH}/:hubId`,
    { schema: updateHubSchema, onRequest: callerMay('write') },
    withDeadline<{ Params: HubIdParams; Body: HubInput }>(async (request) =>
      toHubResponse(await hubService.update(request.caller!, request.params.hubId, request.body, budget(request))),
    ),
  );

  app.delete<{ Params: HubIdParams }>(
    `${HUB_COLLECTION_PATH}/:hubId`,
    { schema: deleteHubSchema, onRequest: callerMay('write') },
    withDeadline<{ Params: HubIdParams }>(async (request) => toHubResponse(await hubService.delete(request.caller!, request.params.hubId, budget(request)))),
  );

  app.get<{ Params: HubIdParams }>(
    `${HUB_COLLECTION_PATH}/:hubId`,
    { schema: getHubSchema, onRequest: callerMay('read') },
    withDeadline<{ Params: HubIdParams }>(async (request) => {
      const hub = await hubService.get(request.caller!, request.params.hubId, budget(request));
      if (hub === null) throw new HubNotFoundError(request.params.hubId);
      return toHubResponse(hub);
    }),
  );

  app.get<{ Querystring: PageQuery }>(
    HUB_COLLECTION_PATH,
    { schema: listHubsSchema, onRequest: callerMay('read') },
    withDeadline<{ Querystring: PageQuery }>(async (request) => toHubPageResponse(await hubService.list(request.caller!, request.query, budget(request)))),
  );
}
