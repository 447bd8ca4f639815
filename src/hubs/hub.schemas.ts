import { ForbiddenError, UnauthenticatedError, type Permission } from '../auth/caller';
import {
  InternalError,
  InvalidInputError,
  PayloadTooLargeError,
  RateLimitedError,
  RequestTimeoutError,
  ServiceUnavailableError,
  type DomainError,
  type Problem,
} from '../errors/domain-error';
import { GUID_PATTERN } from '../common/guid';
import { hubsterErrorBody } from '../http/error-handler';
import type { OpenApiPart } from '../http/openapi';
import { IdempotencyInProgressError, IdempotencyKeyReusedError } from '../idempotency/idempotency.errors';
import { HubNotFoundError, HubVersionMismatchError } from './hub.errors';
import { HubStatusId } from './hub.entity';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from '../idempotency/idempotency.rules';
import { HUB_LIMITS, problem, STORABLE_TEXT_PATTERN } from './hub.rules';

/**
 * JSON schemas of the REST routes (CONTRACT.md section 3), built from the same limits as the
 * service's rules. They describe: Fastify serialises responses through them and @fastify/swagger
 * turns them into the OpenAPI document, but validity is for hub.rules.ts alone to judge.
 */

const guid = { type: 'string', pattern: GUID_PATTERN, examples: ['3bc1e69f-c520-446f-ab2c-01751fd66a31'] } as const;

const hubProperties = {
  name: {
    type: 'string',
    minLength: 1,
    maxLength: HUB_LIMITS.nameMaxLength,
    pattern: STORABLE_TEXT_PATTERN,
    description: 'Unique hub name for the tenant (ignoring case); trimmed.',
    examples: ['Your New Cool Hub Name'],
  },
  description: {
    type: 'string',
    maxLength: HUB_LIMITS.descriptionMaxLength,
    pattern: STORABLE_TEXT_PATTERN,
    description: 'Hub description; may be empty.',
    examples: ['This hub is cool'],
  },
  closeDormantConversation: {
    type: ['integer', 'null'],
    minimum: 0,
    maximum: HUB_LIMITS.closeDormantConversationMax,
    description: 'Days after which a dormant conversation is closed; absent, null or 0 keeps it open.',
    examples: [30],
  },
  statusId: {
    type: 'integer',
    enum: [HubStatusId.Active, HubStatusId.Paused],
    description: 'Hub status: 2000 = Active (default), 2002 = Paused.',
    examples: [2000],
  },
} as const;

/** The hub schemas of the OpenAPI document, registered once and referenced as `Name#`. */
export const HUB_OPENAPI: OpenApiPart = {
  tags: [{ name: 'Hubs', description: 'The containers of a messaging configuration.' }],
  schemas: [
    {
      $id: 'Hub',
      type: 'object',
      description: 'A hub, with exactly the documented fields.',
      required: ['hubId', 'tenantId', 'name', 'description', 'closeDormantConversation', 'statusId'],
      additionalProperties: false,
      properties: {
        hubId: { type: 'string', format: 'uuid' },
        tenantId: { type: 'string', format: 'uuid' },
        name: { type: 'string', minLength: 1, maxLength: HUB_LIMITS.nameMaxLength },
        description: { type: 'string', maxLength: HUB_LIMITS.descriptionMaxLength },
        closeDormantConversation: { type: 'integer', minimum: 0, maximum: HUB_LIMITS.closeDormantConversationMax },
        statusId: { type: 'integer', enum: [HubStatusId.Active, HubStatusId.Paused] },
      },
    },
    {
      $id: 'HubPage',
      type: 'object',
      description: "One page of the tenant's hubs, oldest first.",
      required: ['pageNumber', 'pageSize', 'total', 'results'],
      additionalProperties: false,
      properties: {
        pageNumber: { type: 'integer', minimum: 0 },
        pageSize: { type: 'integer', minimum: 1, maximum: HUB_LIMITS.pageSizeMax },
        total: { type: 'integer', minimum: 0, description: "How many hubs the tenant has in all." },
        results: { type: 'array', items: { $ref: 'Hub#' } },
      },
    },
  ],
};

/** The example hub id of the documented 404. */
const EXAMPLE_HUB_ID = '3bc1e69f-c520-446f-ab2c-01751fd66a31';

/**
 * An error response, with the body the gateway really sends for `example` as its example (in the
 * media type, where OpenAPI puts examples; @fastify/swagger drops the siblings of a `$ref`).
 */
const error = (description: string, example: DomainError) => ({
  description,
  content: { 'application/json': { schema: { $ref: 'HubsterError#' }, example: hubsterErrorBody(example) } },
});
const retryAfter = { 'retry-after': { type: 'integer', minimum: 1, description: 'Seconds to wait before retrying.' } };
/** An error response that tells the client when to come back. */
const retryableError = (description: string, example: DomainError) => ({ ...error(description, example), headers: retryAfter });

/** The statuses the seed page lists for every route, with Hubster's wording. */
const commonErrors = (permission: Permission) => ({
  401: error('Unauthorized. Token is invalid.', new UnauthenticatedError('An Authorization header with a Bearer token is required.')),
  403: error('Forbidden. Access to the requested resource is forbidden.', new ForbiddenError(permission)),
  408: error('Timed out. The request timed out.', new RequestTimeoutError(10_000)),
  429: retryableError('Too many requests. API usage limit has been reached (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS).', new RateLimitedError(600, 42)),
  500: error('Internal server error. There was an internal issue with the service.', new InternalError()),
  503: retryableError('Service unavailable. The database is unreachable or the gateway is shutting down.', new ServiceUnavailableError()),
});
const badRequest = (...problems: [Problem, ...Problem[]]) => ({
  400: error('Bad request. The body of the response will have more info.', new InvalidInputError(problems)),
});
const NOT_FOUND = { 404: error('Not found. Resource not found.', new HubNotFoundError(EXAMPLE_HUB_ID)) };
const TOO_LARGE = { 413: error('Payload too large. The body is over 1 MiB.', new PayloadTooLargeError(1024 * 1024)) };

const ok = (ref: string, description: string) => ({ 200: { description, $ref: `${ref}#` } });
const etag = { etag: { type: 'string', description: "The hub's version as a strong entity tag, e.g. `\"3\"`; send it back in If-Match or If-None-Match." } };
/** A response that carries one hub, with its ETag. */
const okHub = (description: string) => ({ 200: { description, headers: etag, content: { 'application/json': { schema: { $ref: 'Hub#' } } } } });
const PRECONDITION_FAILED = {
  412: error('Precondition failed. The hub changed since it was read (If-Match names none of its current ETags); nothing changed.', new HubVersionMismatchError(EXAMPLE_HUB_ID, 4)),
};
const ifMatch = {
  type: 'object',
  properties: {
    'if-match': { type: 'string', description: 'Change the hub only if its ETag is one of these (`*`: any existing hub); otherwise 412 and nothing changes.' },
  },
};
const hubIdParams = {
  type: 'object',
  required: ['hubId'],
  properties: { hubId: { ...guid, description: 'The hub id.' } },
} as const;
const security = [{ bearerAuth: [] }];
const tags = ['Hubs'];

export const createHubSchema = {
  operationId: 'createHub',
  tags,
  security,
  summary: 'Creates a hub.',
  headers: {
    type: 'object',
    properties: {
      'idempotency-key': {
        type: 'string',
        minLength: 1,
        maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
        description: 'Makes the create safe to retry: within 24 h the same key and body get the first answer again.',
      },
    },
  },
  body: { type: 'object', required: ['name', 'description'], properties: hubProperties },
  response: {
    ...okHub('OK: the created hub.'),
    ...badRequest(problem('name', 'required')),
    409: retryableError('Conflict. A create with this Idempotency-Key is still running.', new IdempotencyInProgressError()),
    ...TOO_LARGE,
    422: error('Unprocessable. This Idempotency-Key was used with a different body.', new IdempotencyKeyReusedError()),
    ...commonErrors('write'),
  },
};

export const updateHubSchema = {
  operationId: 'updateHub',
  tags,
  security,
  summary: 'Updates a hub: only the properties present change; hubId, tenantId and unknown properties are ignored.',
  params: hubIdParams,
  headers: ifMatch,
  body: { type: 'object', properties: hubProperties },
  response: {
    ...okHub('OK: the updated hub.'),
    ...badRequest(problem('statusId', 'unsupported')),
    ...NOT_FOUND,
    ...PRECONDITION_FAILED,
    ...TOO_LARGE,
    ...commonErrors('write'),
  },
};

export const deleteHubSchema = {
  operationId: 'deleteHub',
  tags,
  security,
  summary: 'Deletes a hub and answers it as it was.',
  params: hubIdParams,
  headers: ifMatch,
  response: { ...okHub('OK: the deleted hub.'), ...badRequest(problem('hubId', 'type')), ...NOT_FOUND, ...PRECONDITION_FAILED, ...commonErrors('write') },
};

export const getHubSchema = {
  operationId: 'getHub',
  tags,
  security,
  summary: 'Gets a hub.',
  params: hubIdParams,
  headers: {
    type: 'object',
    properties: {
      'if-none-match': { type: 'string', description: 'When the hub\'s ETag is one of these (or `*`): 304 without a body.' },
    },
  },
  response: {
    ...okHub('OK: the hub.'),
    304: { description: 'Not modified: the hub still has the ETag sent in If-None-Match. No body.', headers: etag },
    ...badRequest(problem('hubId', 'type')),
    ...NOT_FOUND,
    ...commonErrors('read'),
  },
};

export const listHubsSchema = {
  operationId: 'listHubs',
  tags,
  security,
  summary: "Gets a page of the tenant's hubs, oldest first.",
  querystring: {
    type: 'object',
    properties: {
      pageNumber: { type: 'integer', minimum: 0, default: 0, description: 'The requested page number; must be >= 0.' },
      pageSize: {
        type: 'integer',
        minimum: 1,
        maximum: HUB_LIMITS.pageSizeMax,
        default: HUB_LIMITS.pageSizeDefault,
        description: `The requested page size; must be >= 1 and <= ${HUB_LIMITS.pageSizeMax}.`,
      },
    },
  },
  response: { ...ok('HubPage', 'OK: one page of hubs with the total.'), ...badRequest(problem('pageSize', 'range')), ...commonErrors('read') },
};
