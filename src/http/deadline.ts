import { PassThrough, type Readable } from 'node:stream';
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
 */
export function registerDeadlines(app: FastifyInstance, timeoutMs: number): void {
  app.decorateRequest('deadline', null as unknown as Deadline);
  app.addHook('onRequest', async (request, reply) => {
    request.deadline = new Deadline(timeoutMs - reply.elapsedTime, timeoutMs);
  });
  app.addHook('preParsing', async (request, _reply, payload) => uploadUnderDeadline(request, payload));
  app.addHook('onSend', async (request, reply) => {
    if (!request.raw.complete) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request) => {
    request.deadline?.dispose();
  });
}

/** The body stream, failing with the 408 when the deadline passes before the last byte arrived. */
function uploadUnderDeadline(request: FastifyRequest, payload: Readable): Readable {
  // Small bodies arrive with the headers: nothing left to wait for.
  if (request.raw.complete) return payload;
  const guarded = new PassThrough();
  const onDeadline = () => guarded.destroy(new RequestTimeoutError(request.deadline.timeoutMs));
  request.deadline.signal.addEventListener('abort', onDeadline, { once: true });
  guarded.once('close', () => request.deadline.signal.removeEventListener('abort', onDeadline));
  payload.once('error', (error) => guarded.destroy(error));
  payload.pipe(guarded);
  return guarded;
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
  return async function (this: unknown, request: FastifyRequest<R>, reply: FastifyReply<R>) {
    const { deadline } = request;
    deadline.throwIfExpired();
    const work = Promise.resolve(handler.call(this, request, reply));
    const settled = work.then(
      () => true,
      () => true,
    );
    if (!(await Promise.race([settled, aborted(deadline.signal)]))) {
      if (!(await Promise.race([settled, delay(CANCELLATION_GRACE_MS)]))) {
        work.catch(() => undefined);
        request.log.warn({ graceMs: CANCELLATION_GRACE_MS }, 'work past its deadline did not stop in time; answering 408 without confirmation');
        throw new RequestTimeoutError(deadline.timeoutMs);
      }
    }
    return work;
  };
}

function aborted(signal: AbortSignal): Promise<false> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(false);
    else signal.addEventListener('abort', () => resolve(false), { once: true });
  });
}

function delay(ms: number): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), ms).unref());
}
