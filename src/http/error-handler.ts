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
  type Problem,
} from '../errors/domain-error';
import { ERROR_TABLE } from '../errors/error-table';

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

/**
 * Any error that reached Fastify, in the domain's terms: deliberate errors as they are, Fastify's
 * own (body parsing, size) translated, anything else logged once with the request id and masked.
 * Each transport shapes the result its own way (Hubster's body here, GraphQL's in src/graphql/).
 */
export function asDomainError(error: FastifyError, request: FastifyRequest): DomainError {
  if (error instanceof DomainError) return error;
  const translated = fromFastify(error, request.server.initialConfig.bodyLimit ?? 0);
  if (translated !== null) return translated;
  request.log.error({ err: error }, 'unexpected error');
  return new InternalError();
}

/** Sends `error` in Hubster's body, with `Retry-After` where the error says when to come back. */
export function sendHubsterError(reply: FastifyReply, error: DomainError): FastifyReply {
  if (isRetryable(error)) reply.header('retry-after', String(error.retryAfterSeconds));
  return reply.code(ERROR_TABLE[error.code].httpStatus).send(hubsterErrorBody(error));
}

/** A part of the URL space whose unreadable URLs are about one property (`/api/v1/hubs/` and the hub id). */
export interface UnreadableUrlProblem {
  readonly prefix: string;
  readonly problem: Problem;
}

export interface ErrorHandlingOptions {
  /** Problems to report for URLs the router cannot read, by prefix; the body as a whole otherwise. */
  readonly unreadableUrls?: readonly UnreadableUrlProblem[];
}

/**
 * The app's own error handling, in Hubster's body: the error handler of every route that does not
 * set its own (GraphQL does), unknown routes (404 / 699), and URLs the router cannot read.
 * Returns the handler for Fastify's `frameworkErrors`.
 */
export function registerErrorHandling(app: FastifyInstance, options: ErrorHandlingOptions = {}): (error: Error, request: FastifyRequest, reply: FastifyReply) => void {
  app.setErrorHandler((error: FastifyError, request, reply) => sendHubsterError(reply, asDomainError(error, request)));

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      status: 404,
      errors: [{ code: 699, description: `No route ${request.method} ${request.url.split('?')[0]}. (code: ${hubsterErrorCode(699)})` }],
    }),
  );

  // Fastify's router answers URLs it cannot read (a bad percent-escape, a path segment over 100
  // characters) itself, before any hook: this gives them the contract's shape and request id.
  return (_error, request, reply) => {
    reply.header('x-request-id', request.id);
    const known = options.unreadableUrls?.find((candidate) => request.url.startsWith(candidate.prefix))?.problem;
    const unreadable = known ?? { property: '', code: 300 as const, detail: 'The request URL cannot be read.' };
    sendHubsterError(reply, new InvalidInputError([unreadable]));
  };
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
