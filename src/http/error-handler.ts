import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  DomainError,
  hubsterErrorCode,
  InternalError,
  InvalidInputError,
  isRetryable,
  PayloadTooLargeError,
  problemMessage,
} from '../errors/domain-error';
import { ERROR_TABLE } from '../errors/error-table';
import { domainErrorExtensions } from '../graphql/format-error';
import { problem } from '../hubs/hub.rules';
import { graphqlResponseMediaType } from './media-type';
import { recordGraphQLError } from './request-observation';

/** Hubster's error body (CONTRACT.md section 3): `status` equals the HTTP status, one entry per problem. */
export interface HubsterErrorBody {
  readonly status: number;
  readonly errors: readonly { readonly code: number; readonly description: string }[];
}

export function hubsterErrorBody(error: DomainError): HubsterErrorBody {
  const { httpStatus, hubsterCode } = ERROR_TABLE[error.code];
  const entries =
    error instanceof InvalidInputError
      ? error.problems.map((problem) => ({ code: problem.code as number, message: problemMessage(problem) }))
      : [{ code: hubsterCode, message: error.message }];
  return {
    status: httpStatus,
    errors: entries.map(({ code, message }) => ({ code, description: `${message} (code: ${hubsterErrorCode(code)})` })),
  };
}

/**
 * Errors Fastify raises before a handler runs (body parsing, size) in the domain's terms, so they
 * get the same shape as everything else. Null for anything unexpected.
 */
function fromFastify(error: FastifyError, bodyLimit: number): DomainError | null {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new PayloadTooLargeError(bodyLimit);
  const status = error.statusCode ?? 500;
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (status === 400 && error instanceof SyntaxError)) {
    return bodyProblem('The request body is not valid JSON.');
  }
  if (status === 415 || (status === 400 && error.code?.startsWith('FST_ERR_CTP'))) {
    return bodyProblem('The request body must be a JSON object sent as application/json.');
  }
  return null;
}

const bodyProblem = (detail: string) => new InvalidInputError([{ property: '', code: 300, detail }]);

const isGraphQLRequest = (request: FastifyRequest): boolean => request.url.split('?')[0] === '/graphql';

/**
 * Shapes every error that leaves through Fastify: deliberate errors as the contract says, anything
 * else logged once with the request id and masked. `/graphql` answers in GraphQL's shape.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let domainError = error instanceof DomainError ? error : fromFastify(error, app.initialConfig.bodyLimit ?? 0);
    if (domainError === null) {
      request.log.error({ err: error }, 'unexpected error');
      domainError = new InternalError();
    }
    return sendError(request, reply, domainError);
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      status: 404,
      errors: [{ code: 699, description: `No route ${request.method} ${request.url.split('?')[0]}. (code: ${hubsterErrorCode(699)})` }],
    }),
  );
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: DomainError): FastifyReply {
  const { httpStatus, graphqlCode } = ERROR_TABLE[error.code];
  if (isRetryable(error)) reply.header('retry-after', String(error.retryAfterSeconds));
  if (isGraphQLRequest(request)) {
    recordGraphQLError(request, graphqlCode);
    return reply
      .code(httpStatus)
      .type(graphqlResponseMediaType(request.headers.accept))
      .send({ errors: [domainErrorExtensions(error)] });
  }
  return reply.code(httpStatus).send(hubsterErrorBody(error));
}

/**
 * Fastify's router answers URLs it cannot read (a bad percent-escape, a path segment over 100
 * characters) itself, before any hook: this gives them the contract's shape and request id. Under
 * `/api/v1/hubs/` the unreadable part is the hub id (305).
 */
export function answerUnreadableUrl(_error: Error, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  const unreadable = request.url.startsWith('/api/v1/hubs/')
    ? problem('hubId', 'type')
    : { property: '', code: 300 as const, detail: 'The request URL cannot be read.' };
  sendError(request, reply, new InvalidInputError([unreadable]));
}
