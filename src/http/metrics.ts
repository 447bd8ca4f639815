import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the pg pool says about itself (node-postgres `Pool` counters). */
export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export interface MetricsOptions {
  /** Connections the pool may open (DATABASE_POOL_SIZE). */
  readonly poolSize: number;
  /** The live pool, read on each scrape; undefined before the data source is up or after it closed. */
  readonly pool: () => PoolCounts | undefined;
}

const RATE_LIMIT_KEYS = ['tenant', 'ip'] as const;

/** Who a rate-limit rejection was counted against. */
export type RateLimitKey = (typeof RATE_LIMIT_KEYS)[number];

/**
 * Seconds. A handful of buckets keeps each observation cheap and each route's series small; the
 * last ones frame the 2 s connection wait and the 10 s default deadline.
 */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 10];

/** Operation names are chosen by clients: past this many distinct ones, new names count as `other`. */
const MAX_OPERATION_NAMES = 100;

/**
 * The gateway's Prometheus metrics, in a registry of its own (never prom-client's global one), so
 * two gateways in one process (tests) keep separate counts. Every label has a bounded set of
 * values: route patterns, not URLs; GraphQL operation names from parsed documents, capped in number.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly graphqlOperations: Counter<'operation' | 'outcome' | 'code'>;
  private readonly rateLimitRejections: Counter<'key'>;
  private readonly databaseStatements: Counter<'statement'>;
  private readonly operationNames = new Set<string>();
  private readonly openSockets: Gauge;
  private readonly activeSubscriptions: Gauge;
  private readonly eventsDelivered: Counter;
  private readonly listenerReconnects: Counter;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    this.requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from a request arriving to its response being sent, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.graphqlOperations = new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL requests by operation name and outcome (code: extensions.code of the first error).',
      labelNames: ['operation', 'outcome', 'code'],
      registers,
    });
    this.rateLimitRejections = new Counter({
      name: 'rate_limit_rejections_total',
      help: 'Requests refused with 429, by what they were counted against (tenant, or client IP without a token).',
      labelNames: ['key'],
      registers,
    });
    this.databaseStatements = new Counter({
      name: 'db_statements_total',
      help: "Statements sent to the database, by the statement's name (the gateway's own, a bounded set; unnamed for the rest).",
      labelNames: ['statement'],
      registers,
    });
    this.openSockets = new Gauge({ name: 'graphql_ws_open_sockets', help: 'WebSocket connections open at /graphql (GraphQL over WebSocket).', registers });
    this.activeSubscriptions = new Gauge({ name: 'graphql_ws_active_subscriptions', help: 'Subscriptions running on this instance, over all sockets.', registers });
    this.eventsDelivered = new Counter({ name: 'graphql_ws_events_delivered_total', help: 'Subscription events sent to clients (one per subscription that receives a change).', registers });
    this.listenerReconnects = new Counter({
      name: 'db_change_listener_reconnects_total',
      help: 'Times the session that listens for hub changes was lost and listens again (changes meanwhile were not heard).',
      registers,
    });
    // Present at 0 from the start, so rate() over them works before the first rejection.
    for (const key of RATE_LIMIT_KEYS) this.rateLimitRejections.inc({ key }, 0);
    new Gauge({
      name: 'db_pool_max_connections',
      help: 'Connections the database pool may open (DATABASE_POOL_SIZE).',
      registers,
      collect() {
        this.set(options.poolSize);
      },
    });
    poolGauge('db_pool_connections', 'Connections the database pool holds open.', (pool) => pool.totalCount);
    poolGauge('db_pool_idle_connections', 'Open connections of the pool that are free.', (pool) => pool.idleCount);
    poolGauge('db_pool_waiting_requests', 'Requests waiting for a free connection of the pool.', (pool) => pool.waitingCount);
    collectDefaultMetrics({ register: this.registry });

    function poolGauge(name: string, help: string, read: (pool: PoolCounts) => number): void {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const pool = options.pool();
          this.set(pool === undefined ? 0 : read(pool));
        },
      });
    }
  }

  observeRequest(method: string, route: string, status: number, elapsedMs: number): void {
    this.requestDuration.observe({ method, route, status }, elapsedMs / 1000);
  }

  /** `operation` is null when the document was never read (refused before GraphQL ran, or unparsable). */
  countGraphQLOperation(operation: string | null, errorCode: string | null): void {
    const labels = { operation: this.operationLabel(operation), outcome: errorCode === null ? 'success' : 'error' };
    this.graphqlOperations.inc(errorCode === null ? labels : { ...labels, code: errorCode });
  }

  countStatement(name: string): void {
    this.databaseStatements.inc({ statement: name });
  }

  countRateLimitRejection(key: RateLimitKey): void {
    this.rateLimitRejections.inc({ key });
  }

  socketOpened(): void {
    this.openSockets.inc();
  }

  socketClosed(): void {
    this.openSockets.dec();
  }

  subscriptionStarted(): void {
    this.activeSubscriptions.inc();
  }

  subscriptionEnded(): void {
    this.activeSubscriptions.dec();
  }

  eventDelivered(): void {
    this.eventsDelivered.inc();
  }

  countListenerReconnect(): void {
    this.listenerReconnects.inc();
  }

  private operationLabel(operation: string | null): string {
    if (operation === null) return 'unknown';
    if (this.operationNames.has(operation)) return operation;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    this.operationNames.add(operation);
    return operation;
  }
}

/** `GET /metrics`: Prometheus text. Outside the data routes, so no token and no rate limit. */
export function registerMetricsRoute(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
