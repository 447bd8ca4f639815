import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteGenericInterface } from 'fastify';
import { Deadline } from '../common/deadline';
import { Semaphore } from '../common/semaphore';
import type { RequestBudget } from '../db/database';
import { RequestTimeoutError } from '../errors/domain-error';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request arrives: REQUEST_TIMEOUT_MS from then, body upload included. */
    deadline: Deadline;
  }
}

/**
 * Work that was told to stop at the deadline gets this long to say how it ended (a cancelled
 * statement answers in milliseconds); past it, the 408 goes out without waiting any longer.
 */
const CANCELLATION_GRACE_MS = 2000;

/**
 * Gives every request its deadline when it arrives (CONTRACT.md section 5), and holds the upload
 * to it: a body still arriving at the deadline is answered 408 and its connection closed. So is
 * any answer sent before the body was read (a 401 from the headers alone): reading the rest of a
 * body nobody needs would let a client that sends one byte at a time hold the socket.
 *
 * The hooks take callbacks rather than returning promises: they run for every request.
 */
export function registerDeadlines(app: FastifyInstance, timeoutMs: number): void {
  app.decorateRequest('deadline', null as unknown as Deadline);
  app.decorateRequest('stopUploadGuard', null);
  app.addHook('onRequest', (request, reply, done) => {
    request.deadline = new Deadline(timeoutMs - reply.elapsedTime, timeoutMs);
    done();
  });
  app.addHook('preParsing', (request, _reply, payload, done) => {
    if (!hasBody(request)) return done(null, payload);
    if (request.deadline.expired) return done(new RequestTimeoutError(timeoutMs), payload);
    request.stopUploadGuard = request.deadline.onExpiry(() => failUpload(request, payload));
    done(null, payload);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    request.stopUploadGuard?.();
    if (!request.raw.complete) reply.header('connection', 'close');
    done(null, payload);
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Stops watching the upload once the request is answered. */
    stopUploadGuard: (() => void) | null;
  }
}

const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined || (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');

/**
 * The body is still arriving at the deadline: Fastify's body reader, which listens for the
 * stream's errors, gets the 408 as one, so the route answers it in its own shape. (Destroying the
 * request stream instead would close the socket before any answer.) Without a reader listening,
 * an answer has already gone out, and the incomplete body closes the connection after it.
 */
function failUpload(request: FastifyRequest, payload: Readable): void {
  if (request.raw.complete || payload.listenerCount('error') === 0) return;
  payload.emit('error', new RequestTimeoutError(request.deadline.timeoutMs));
}

/** The budget of one request: its deadline, and a lane of at most `connections` database connections. */
export function requestBudget(request: FastifyRequest, connections: number): RequestBudget {
  return { deadline: request.deadline, lane: new Semaphore(connections) };
}

type Handler<R extends RouteGenericInterface, T> = (request: FastifyRequest<R>, reply: FastifyReply<R>) => T | Promise<T>;

/**
 * Runs a route handler under the request's deadline. When it passes, the handler's database work
 * is cancelled (through the budget's deadline) and the answer waits for the outcome: the handler's
 * own 408 when the work was stopped, its result when it had completed after all. A request
 * answered 408 has thus changed nothing. Only work that says nothing within
 * `CANCELLATION_GRACE_MS` gets a 408 without that certainty, and is logged.
 */
export function withDeadline<R extends RouteGenericInterface = RouteGenericInterface, T = unknown>(
  handler: Handler<R, T>,
): (request: FastifyRequest<R>, reply: FastifyReply<R>) => Promise<T> {
  return function (this: unknown, request: FastifyRequest<R>, reply: FastifyReply<R>) {
    const { deadline } = request;
    deadline.throwIfExpired();
    const work = Promise.resolve(handler.call(this, request, reply));
    return new Promise<T>((resolve, reject) => {
      let grace: NodeJS.Timeout | undefined;
      const stopListening = deadline.onExpiry(() => {
        grace = setTimeout(() => {
          request.log.warn({ graceMs: CANCELLATION_GRACE_MS }, 'work past its deadline did not stop in time; answering 408 without confirmation');
          reject(new RequestTimeoutError(deadline.timeoutMs));
        }, CANCELLATION_GRACE_MS);
      });
      const settle = () => {
        stopListening();
        clearTimeout(grace);
      };
      work.then(
        (value) => {
          settle();
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
  };
}
