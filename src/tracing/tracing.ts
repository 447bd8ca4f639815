import { FastifyOtelInstrumentation } from '@fastify/otel';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../config/config';
import { requestTracing, serverSpanName, type RequestTracing } from './request-tracing';

/** Tracing as it runs: the hooks the app plugs in, and how to stop it. */
export interface Tracing {
  readonly hooks: RequestTracing;
  /** Exports what is still buffered and stops; gives up after `timeoutMs` (a collector that does not answer). */
  shutdown(timeoutMs: number): Promise<void>;
}

/** The sampler of OpenTelemetry's `OTEL_TRACES_SAMPLER` name, built from the configuration rather than read again from the environment. */
export function samplerFor(config: Pick<TracingConfig, 'sampler' | 'samplerRatio'>): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.samplerRatio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) });
  }
}

const UNTRACED_PATHS = /^\/(health\/|metrics(\?|$))/;

/** A collector that stays down is said once a minute, not once a batch. */
const EXPORT_WARNING_INTERVAL_MS = 60_000;

/**
 * The exporter, saying on the log when a batch could not be delivered (the SDK drops it and would
 * say nothing). The line has the shape of the gateway's own JSON lines; the app's logger does not
 * exist yet when tracing starts.
 */
function reportingFailures(exporter: SpanExporter, url: string): SpanExporter {
  let lastWarning = -Infinity;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        const now = performance.now();
        if (result.code !== ExportResultCode.SUCCESS && now - lastWarning >= EXPORT_WARNING_INTERVAL_MS) {
          lastWarning = now;
          const line = { level: 40, time: Date.now(), pid: process.pid, url, dropped: spans.length, err: { message: result.error?.message }, msg: 'spans could not be exported and were dropped; tracing goes on' };
          process.stdout.write(`${JSON.stringify(line)}\n`);
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

/**
 * Starts the OpenTelemetry SDK for traces only. It must run before `pg` and `fastify` are first
 * required: the pg instrumentation patches the module as it loads, and @fastify/otel hooks every
 * Fastify instance as it is created (`src/main.ts` loads the app only after this).
 *
 * The pieces are put together here instead of through NodeSDK, which would also start metric and
 * log exporters towards the same endpoint and read its choices from the environment.
 */
export function startTracing(config: TracingConfig): Tracing {
  const url = `${config.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const exporter = config.protocol === 'http/json' ? new OtlpJsonExporter({ url }) : new OtlpProtobufExporter({ url });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
    sampler: samplerFor(config),
    // Spans leave in batches, off the request path; when the collector is slow or down, the
    // queue fills and further spans are dropped, never waited for.
    spanProcessors: [new BatchSpanProcessor(reportingFailures(exporter, url))],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });

  const instrumentations = [
    new PgInstrumentation({
      // The statement text only: values stay out of spans (no db.postgresql.values).
      enhancedDatabaseReporting: false,
      // The gateway's own gate hands out connections; pool and connect spans would only say "at once".
      ignoreConnectSpans: true,
      // Statements outside a request (migrations, LISTEN, housekeeping) would each be a trace of their own.
      requireParentSpan: true,
      // Stable semantic conventions name it db.system.name; backends that still key on the older
      // db.system find it too.
      requestHook: (span) => span.setAttribute('db.system', 'postgresql'),
    }),
    new FastifyOtelInstrumentation({
      registerOnInitialization: true,
      // One server span per request: spans per hook and handler would multiply the cost per
      // request and push the operation span one level down.
      instrumentHooks: false,
      instrumentHandler: false,
      // A balancer's health checks and Prometheus's scrapes would be most of the traces, and none
      // of them tells anything about a caller.
      ignorePaths: ({ url }) => UNTRACED_PATHS.test(url),
      requestHook: (span, request) => {
        span.updateName(serverSpanName(request));
        // @fastify/otel records the URL with its query; a GraphQL GET carries variables there.
        span.setAttribute('url.path', request.url.split('?', 1)[0]!);
      },
    }),
  ];
  for (const instrumentation of instrumentations) instrumentation.setTracerProvider(provider);

  return {
    hooks: requestTracing(),
    async shutdown(timeoutMs) {
      for (const instrumentation of instrumentations) instrumentation.disable();
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      try {
        await Promise.race([provider.shutdown().catch(() => undefined), gaveUp]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
