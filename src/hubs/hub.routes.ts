import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Permission } from '../auth/caller';
import type { TokenVerifier } from '../auth/token-verifier';
import { accessHooks, type AccessHook } from '../http/access';
import { requestBudget, withDeadline } from '../http/deadline';
import { entityTagCondition, strongEntityTag, strongTagValues, weakMatches } from '../http/entity-tags';
import { describingValidatorCompiler } from '../http/query-text';
import { idempotencyKeyOf } from '../http/idempotency-key';
import type { HubSummary } from './hub.entity';
import { HubNotFoundError } from './hub.errors';
import { toHubPageResponse, toHubResponse } from './hub.mapper';
import type { HubInput } from './hub.rules';
import { createHubSchema, deleteHubSchema, getHubSchema, listHubsSchema, updateHubSchema } from './hub.schemas';
import type { HubService, VersionCondition } from './hub.service';

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

/** A hub's ETag is its version: strong, and it changes exactly when the hub does. */
const etagOf = (hub: HubSummary): string => String(hub.version);

/** A version as an ETag names it: the decimal digits of a positive integer. */
const VERSION_TAG = /^[1-9][0-9]{0,9}$/;

/**
 * `If-Match` as the service's condition: `*` is any existing hub; otherwise the versions its
 * strong tags name (weak ones never match, RFC 9110 section 13.1.1), none when it names none.
 */
function ifMatchCondition(request: FastifyRequest): VersionCondition {
  const condition = entityTagCondition(request.headers['if-match']);
  if (condition === undefined || condition.any) return {};
  return { versions: strongTagValues(condition).filter((value) => VERSION_TAG.test(value)).map(Number) };
}

/** The hub as REST answers it, with its ETag (every response that carries one hub has one). */
function answerHub(reply: FastifyReply, hub: HubSummary) {
  reply.header('etag', strongEntityTag(etagOf(hub)));
  return toHubResponse(hub);
}

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
    withDeadline<{ Body: HubInput }>(async (request, reply) =>
      answerHub(reply, await hubService.create(request.caller!, request.body, budget(request), { idempotencyKey: idempotencyKeyOf(request) })),
    ),
  );

  app.put<{ Params: HubIdParams; Body: HubInput }>(
    `${HUB_COLLECTION_PATH}/:hubId`,
    { schema: updateHubSchema, onRequest: callerMay('write') },
    withDeadline<{ Params: HubIdParams; Body: HubInput }>(async (request, reply) =>
      answerHub(reply, await hubService.update(request.caller!, request.params.hubId, request.body, budget(request), ifMatchCondition(request))),
    ),
  );

  app.delete<{ Params: HubIdParams }>(
    `${HUB_COLLECTION_PATH}/:hubId`,
    { schema: deleteHubSchema, onRequest: callerMay('write') },
    withDeadline<{ Params: HubIdParams }>(async (request, reply) =>
      answerHub(reply, await hubService.delete(request.caller!, request.params.hubId, budget(request), ifMatchCondition(request))),
    ),
  );

  app.get<{ Params: HubIdParams }>(
    `${HUB_COLLECTION_PATH}/:hubId`,
    { schema: getHubSchema, onRequest: callerMay('read') },
    withDeadline<{ Params: HubIdParams }>(async (request, reply) => {
      const hub = await hubService.getSummary(request.caller!, request.params.hubId, budget(request));
      if (hub === null) throw new HubNotFoundError(request.params.hubId);
      const ifNoneMatch = entityTagCondition(request.headers['if-none-match']);
      if (ifNoneMatch !== undefined && weakMatches(ifNoneMatch, etagOf(hub))) {
        // Not modified: no body, the ETag repeated (RFC 9110 section 15.4.5).
        return reply.code(304).header('etag', strongEntityTag(etagOf(hub))).send();
      }
      return answerHub(reply, hub);
    }),
  );

  app.get<{ Querystring: PageQuery }>(
    HUB_COLLECTION_PATH,
    { schema: listHubsSchema, onRequest: callerMay('read') },
    withDeadline<{ Querystring: PageQuery }>(async (request) => toHubPageResponse(await hubService.listSummaries(request.caller!, request.query, budget(request)))),
  );
}
