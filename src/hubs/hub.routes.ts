import Ajv from 'ajv';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Permission } from '../auth/caller';
import type { TokenVerifier } from '../auth/token-verifier';
import { accessHooks, type AccessHook } from '../http/access';
import { requestBudget, withDeadline } from '../http/deadline';
import { queryTextReader } from '../http/query-text';
import { idempotencyKeyOf } from '../http/idempotency-key';
import { HubNotFoundError } from './hub.errors';
import { toHubPageResponse, toHubResponse } from './hub.mapper';
import type { HubInput } from './hub.rules';
import {
  createHubSchema,
  deleteHubSchema,
  getHubSchema,
  listHubsSchema,
  schemaErrorFormatter,
  updateHubSchema,
} from './hub.schemas';
import type { HubService } from './hub.service';

export interface HubRoutesDependencies {
  readonly hubService: HubService;
  readonly verifier: TokenVerifier;
  readonly rateLimit: AccessHook;
}

/** A REST request runs its statements one after the other: one connection at a time is all it needs. */
const REST_CONNECTIONS = 1;

type HubIdParams = { hubId: string };
type PageQuery = { pageNumber?: unknown; pageSize?: unknown };

/**
 * Bodies are checked exactly as sent: a number in quotes is a wrong type (302), not a number.
 * Query strings are text: `queryTextReader` reads their integers, and the rules judge them. Every
 * problem is reported, not just the first (bodies are at most 1 MiB, and the patterns are linear).
 */
const bodyAjv = new Ajv({ allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: false });
/** Path parameters and headers are text, checked as text: a hub id is a GUID or refused (305). */
const textAjv = new Ajv({ allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: false });

/**
 * Hubster's `/api/v1/hubs` routes (CONTRACT.md section 3, the seed page). They call `HubService`
 * and nothing else; the token, the rate limit and the scope are checked before the body is read,
 * and every handler runs under the request's deadline.
 */
export async function hubRoutes(app: FastifyInstance, deps: HubRoutesDependencies): Promise<void> {
  const { hubService } = deps;
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart === 'querystring') return queryTextReader(schema as Parameters<typeof queryTextReader>[0]);
    return (httpPart === 'body' ? bodyAjv : textAjv).compile(schema);
  });
  app.setSchemaErrorFormatter(schemaErrorFormatter);

  const callerMay = (permission: Permission) =>
    accessHooks({ verifier: deps.verifier, rateLimit: deps.rateLimit, permission });
  const budget = (request: FastifyRequest) => requestBudget(request, REST_CONNECTIONS);

  app.post<{ Body: HubInput }>(
    '/api/v1/hubs',
    { schema: createHubSchema, onRequest: callerMay('write') },
    withDeadline<{ Body: HubInput }>(async (request) =>
      toHubResponse(await hubService.create(request.caller!, request.body, budget(request), { idempotencyKey: idempotencyKeyOf(request) })),
    ),
  );

  app.put<{ Params: HubIdParams; Body: HubInput }>(
    '/api/v1/hubs/:hubId',
    { schema: updateHubSchema, onRequest: callerMay('write') },
    withDeadline<{ Params: HubIdParams; Body: HubInput }>(async (request) =>
      toHubResponse(await hubService.update(request.caller!, request.params.hubId, request.body, budget(request))),
    ),
  );

  app.delete<{ Params: HubIdParams }>(
    '/api/v1/hubs/:hubId',
    { schema: deleteHubSchema, onRequest: callerMay('write') },
    withDeadline<{ Params: HubIdParams }>(async (request) => toHubResponse(await hubService.delete(request.caller!, request.params.hubId, budget(request)))),
  );

  app.get<{ Params: HubIdParams }>(
    '/api/v1/hubs/:hubId',
    { schema: getHubSchema, onRequest: callerMay('read') },
    withDeadline<{ Params: HubIdParams }>(async (request) => {
      const hub = await hubService.get(request.caller!, request.params.hubId, budget(request));
      if (hub === null) throw new HubNotFoundError(request.params.hubId);
      return toHubResponse(hub);
    }),
  );

  app.get<{ Querystring: PageQuery }>(
    '/api/v1/hubs',
    { schema: listHubsSchema, onRequest: callerMay('read') },
    withDeadline<{ Querystring: PageQuery }>(async (request) => toHubPageResponse(await hubService.list(request.caller!, request.query, budget(request)))),
  );
}
