import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import type { TraceOperation } from '../graphql/jit-executor';
import { operationLabel } from '../http/request-observation';

/** What the app plugs in when tracing is on (`src/main.ts` passes it to `buildApp`). */
export interface RequestTracing {
  /** The trace id of a request's server span, for its log line. */
  readonly traceIdOf: (request: FastifyRequest) => string | undefined;
  /** Runs one GraphQL operation inside a span of its own, the parent of its statements' spans. */
  readonly traceOperation: TraceOperation;
}

/** The instrumentation's scope on every span this file makes. */
const TRACER_NAME = 'hubs-gateway';

/** HTTP semantic conventions: `{method} {http.route}`, the method alone when no route matched. */
export function serverSpanName(request: FastifyRequest): string {
  const route = request.routeOptions.url;
  return route === undefined ? request.method : `${request.method} ${route}`;
}

export function requestTracing(): RequestTracing {
  const tracer = trace.getTracer(TRACER_NAME);
  return {
    traceIdOf(request) {
      // The request's context outlives its span (@fastify/otel ends the span before onResponse).
      const requestContext = request.opentelemetry().context;
      return requestContext == null ? undefined : trace.getSpanContext(requestContext)?.traceId;
    },
    async traceOperation(operation, execute, errorCode) {
      const type = operation.operation;
      const name = operation.name === undefined ? undefined : operationLabel(operation.name.value);
      // No document and no variables in attributes: either can carry the client's values.
      const span = tracer.startSpan(name === undefined ? type : `${type} ${name}`, {
        kind: SpanKind.INTERNAL,
        attributes: { 'graphql.operation.type': type, ...(name === undefined ? {} : { 'graphql.operation.name': name }) },
      });
      try {
        const result = await context.with(trace.setSpan(context.active(), span), execute);
        const [firstError] = result.errors ?? [];
        if (firstError !== undefined) {
          const code = errorCode(firstError);
          span.setAttribute('graphql.error.code', code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        }
        return result;
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
  };
}
