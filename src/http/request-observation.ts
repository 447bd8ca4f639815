import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayMetrics } from './metrics';

declare module 'fastify' {
  interface FastifyRequest {
    /** The GraphQL operation's name (`anonymous` without one), once Apollo has read the document. */
    graphqlOperation: string | null;
    /** `extensions.code` of the first error of a GraphQL response, including those refused before GraphQL ran. */
    graphqlErrorCode: string | null;
  }
}

/** The route label of requests no route matched: one value, whatever URL was asked for. */
const UNMATCHED_ROUTE = 'unmatched';

const GRAPHQL_ROUTE = '/graphql';

/** Operation names are GraphQL names (parsed, so `[_A-Za-z][_0-9A-Za-z]*`) of any length: cut them here. */
const MAX_OPERATION_NAME_LENGTH = 64;

/** What the request log and `graphql_operations_total` call a GraphQL operation. */
export function operationLabel(name: string | undefined): string {
  if (name === undefined) return 'anonymous';
  return name.length > MAX_OPERATION_NAME_LENGTH ? name.slice(0, MAX_OPERATION_NAME_LENGTH) : name;
}

/** Notes the first error code of a GraphQL request; the first one noted wins. */
export function recordGraphQLError(request: FastifyRequest, code: string): void {
  if (request.graphqlErrorCode === null) request.graphqlErrorCode = code;
}

/** The trace id of a request's server span (given only when tracing is on). */
export type TraceIdOf = (request: FastifyRequest) => string | undefined;

/** Records one request whose response has been sent. */
export type RequestObserver = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * One log line and one histogram observation per request (Fastify's own two request lines are
 * off). The line carries the request id (`reqId`, bound by Fastify), method, route pattern, status,
 * duration and, once known, tenant and GraphQL operation (and `traceId` when tracing is on); never
 * headers, URL or body, so no token can reach the log this way.
 */
export function requestObserver(metrics: GatewayMetrics, logEachRequest: boolean, traceIdOf?: TraceIdOf): RequestObserver {
  return (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    const elapsedMs = reply.elapsedTime;
    metrics.observeRequest(request.method, route, status, elapsedMs);

    let operation: string | undefined;
    let errorCode: string | undefined;
    if (route === GRAPHQL_ROUTE && (request.graphqlOperation !== null || request.graphqlErrorCode !== null || status >= 400)) {
      // Apollo answers a few malformed HTTP requests (no query, bad JSON shape) without running
      // any plugin: their status says what happened.
      const code = request.graphqlErrorCode ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : status >= 400 ? 'BAD_REQUEST' : null);
      metrics.countGraphQLOperation(request.graphqlOperation, code);
      operation = request.graphqlOperation ?? 'unknown';
      errorCode = code ?? undefined;
    }

    if (logEachRequest) {
      request.log.info(
        {
          method: request.method,
          route,
          status,
          durationMs: Math.round(elapsedMs * 100) / 100,
          tenant: request.caller?.tenantId,
          operation,
          outcome: operation === undefined ? undefined : errorCode === undefined ? 'success' : 'error',
          errorCode,
          traceId: traceIdOf?.(request),
        },
        'request completed',
      );
    }
  };
}

/** Observes every routed request once its response is sent (the `onResponse` hook). */
export function observeRequests(app: FastifyInstance, observe: RequestObserver): void {
  app.decorateRequest('graphqlOperation', null);
  app.decorateRequest('graphqlErrorCode', null);
  app.addHook('onResponse', (request, reply, done) => {
    observe(request, reply);
    done();
  });
}
