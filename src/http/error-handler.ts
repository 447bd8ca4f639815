import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
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

/** What the HTTP parser's own failures are, in the contract's words. */
function clientErrorAnswer(code: string | undefined): { status: number; hubsterCode: number; message: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, hubsterCode: 108, message: 'The request did not arrive in time.' };
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, hubsterCode: 300, message: 'The request headers are larger than 16 KiB.' };
  return { status: 400, hubsterCode: 300, message: 'The request cannot be read as HTTP.' };
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser failed before any request existed (bad
 * syntax, headers too large, a request incomplete at Node's own timeout). There is no route to
 * answer in its own shape, so the answer is Hubster's body, written on the socket, which is then
 * closed: whatever the client sends next on it cannot be read either.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const { status, hubsterCode, message } = clientErrorAnswer(error.code);
    const body = JSON.stringify({ status, errors: [{ code: hubsterCode, description: `${message} (code: ${hubsterErrorCode(hubsterCode)})` }] });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nx-content-type-options: nosniff\r\ncache-control: no-store\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroySoon();
}
