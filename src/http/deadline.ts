import type { FastifyReply, FastifyRequest, RouteGenericInterface } from 'fastify';
import { RequestTimeoutError } from '../errors/domain-error';

type Handler<R extends RouteGenericInterface, T> = (request: FastifyRequest<R>, reply: FastifyReply<R>) => T | Promise<T>;

/**
 * Gives a route handler the request's deadline (REQUEST_TIMEOUT_MS, counted from arrival): when it
 * passes, the client gets 408 at once, in the route's own error shape. The late work is left to
 * PostgreSQL's statement and lock timeouts, which are set to the same deadline and cancel it; its
 * outcome has nobody left to tell.
 */
export function withDeadline<R extends RouteGenericInterface = RouteGenericInterface, T = unknown>(
  timeoutMs: number,
  handler: Handler<R, T>,
): (request: FastifyRequest<R>, reply: FastifyReply<R>) => Promise<T> {
  return async function (this: unknown, request: FastifyRequest<R>, reply: FastifyReply<R>) {
    const work = Promise.resolve(handler.call(this, request, reply));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RequestTimeoutError(timeoutMs)), Math.max(0, timeoutMs - reply.elapsedTime));
    });
    try {
      return await Promise.race([work, expired]);
    } catch (error) {
      if (error instanceof RequestTimeoutError) {
        work.catch((late: unknown) => request.log.debug({ err: late }, 'work finished after its deadline'));
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
}
