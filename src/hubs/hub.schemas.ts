import type { FastifySchemaValidationError } from 'fastify';
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
import { hubsterErrorBody } from '../http/error-handler';
import { IdempotencyInProgressError, IdempotencyKeyReusedError } from '../idempotency/idempotency.errors';
import { HubNotFoundError } from './hub.errors';
import { HubStatusId } from './hub.entity';
import { IDEMPOTENCY_KEY_MAX_LENGTH, idempotencyKeyProblem } from '../idempotency/idempotency.rules';
import { HUB_LIMITS, problem, settle, type RuleKind } from './hub.rules';

/**
 * JSON schemas of the REST routes (CONTRACT.md section 3), built from the same limits as the
 * service's rules. Fastify validates with them, serialises responses through them, and
 * @fastify/swagger turns them into the OpenAPI document.
 */

const GUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
/**
 * Storable text: no U+0000, no unpaired surrogate. Read the same with the `u` flag (Ajv: a pair is
 * one code point outside the surrogate range) and without it (most other validators: a pair is
 * two code units, matched by the second branch), so an emoji passes everywhere.
 */
const TEXT_PATTERN = '^(?:[^\\u0000\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])*$';

const guid = { type: 'string', pattern: GUID_PATTERN, examples: ['3bc1e69f-c520-446f-ab2c-01751fd66a31'] } as const;

const hubProperties = {
  name: {
    type: 'string',
    minLength: 1,
    maxLength: HUB_LIMITS.nameMaxLength,
    pattern: TEXT_PATTERN,
    description: 'Unique hub name for the tenant (ignoring case); trimmed.',
    examples: ['Your New Cool Hub Name'],
  },
  description: {
    type: 'string',
    maxLength: HUB_LIMITS.descriptionMaxLength,
    pattern: TEXT_PATTERN,
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

/** Shared schemas, registered once with `addSchema` and referenced as `Name#`. */
export const HUB_SHARED_SCHEMAS = [
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
  {
    $id: 'HubsterError',
    type: 'object',
    description: "Hubster's error body: status equals the HTTP status, one entry per problem.",
    required: ['status', 'errors'],
    additionalProperties: false,
    properties: {
      status: { type: 'integer' },
      errors: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['code', 'description'],
          additionalProperties: false,
          properties: {
            code: { type: 'integer', description: "Hubster's code; the description ends with it as (code: PRT000nnn)." },
            description: { type: 'string' },
          },
        },
      },
    },
  },
] as const;

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
const hubIdParams = {
  type: 'object',
  required: ['hubId'],
  properties: { hubId: { ...guid, description: 'The hub id.' } },
} as const;
const security = [{ bearerAuth: [] }];
const tags = ['Hubs'];
/** Where the routes are: relative to the document, so on whatever host serves it. */
export const OPENAPI_SERVERS = [{ url: '/', description: 'This gateway' }];

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
    ...ok('Hub', 'OK: the created hub.'),
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
  body: { type: 'object', properties: hubProperties },
  response: { ...ok('Hub', 'OK: the updated hub.'), ...badRequest(problem('statusId', 'unsupported')), ...NOT_FOUND, ...TOO_LARGE, ...commonErrors('write') },
};

export const deleteHubSchema = {
  operationId: 'deleteHub',
  tags,
  security,
  summary: 'Deletes a hub and answers it as it was.',
  params: hubIdParams,
  response: { ...ok('Hub', 'OK: the deleted hub.'), ...badRequest(problem('hubId', 'type')), ...NOT_FOUND, ...commonErrors('write') },
};

export const getHubSchema = {
  operationId: 'getHub',
  tags,
  security,
  summary: 'Gets a hub.',
  params: hubIdParams,
  response: { ...ok('Hub', 'OK: the hub.'), ...badRequest(problem('hubId', 'type')), ...NOT_FOUND, ...commonErrors('read') },
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

/** Which kind of rule each JSON-schema keyword checks. */
const KIND_OF_KEYWORD: Readonly<Record<string, RuleKind>> = {
  required: 'required',
  type: 'type',
  enum: 'unsupported',
  minLength: 'range',
  maxLength: 'range',
  minimum: 'range',
  maximum: 'range',
};

function problemOf(error: FastifySchemaValidationError, part: string): Problem {
  if (part === 'params') return problem('hubId', 'type');
  if (part === 'headers') return idempotencyKeyProblem();
  const property =
    error.keyword === 'required' ? String(error.params.missingProperty) : error.instancePath.split('/')[1] ?? '';
  if (property === '') return { property: '', code: 300, detail: 'The request body must be a JSON object.' };
  const kind = error.keyword === 'pattern' ? 'text' : (KIND_OF_KEYWORD[error.keyword] ?? 'type');
  // Every keyword above has a rule for the properties that use it; 'type' is the safe reading otherwise.
  try {
    return problem(property, kind);
  } catch {
    return problem(property, 'type');
  }
}

/**
 * Turns Fastify's schema errors into the same problems, with the same Hubster codes and texts, that
 * the service's rules report: one entry per problem.
 */
export function schemaErrorFormatter(errors: FastifySchemaValidationError[], part: string): Error {
  const problems = settle(errors.map((error) => problemOf(error, part)));
  return new InvalidInputError(problems as [Problem, ...Problem[]]);
}
