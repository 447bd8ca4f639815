import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { MIGRATION_NAMES } from './db/data-source';
import { createTokenVerifier } from './auth/token-verifier';
import { Deadline } from './common/deadline';
import { connectRedis } from './common/redis';
import { Semaphore } from './common/semaphore';
import type { Config } from './config/config';
import { Database } from './db/database';
import { HealthProbe } from './db/health-probe';
import { migrateDatabase } from './db/migrations';
import { registerGraphQL } from './graphql/graphql.routes';
import { registerHealthRoutes } from './health/health.routes';
import { ServiceUnavailableError } from './errors/domain-error';
import { registerApiDocs } from './http/api-docs';
import { answerClientError, registerErrorHandling } from './http/error-handler';
import { registerDeadlines } from './http/deadline';
import { registerHttpBasics } from './http/http-basics';
import { GatewayMetrics, registerMetricsRoute } from './http/metrics';
import { registerOpenApi } from './http/openapi';
import { createRateLimit } from './http/rate-limit';
import { observeRequests, requestObserver } from './http/request-observation';
import { hubModule } from './hubs/hub.module';
import type { IdempotencyRepository } from './idempotency/idempotency.repository';
import type { RequestTracing } from './tracing/request-tracing';

/** A built gateway: the Fastify app (for `listen` or `inject`) and how to stop everything it holds. */
export interface Gateway {
  readonly app: FastifyInstance;
  readonly database: Database;
  /**
   * Stops in the contract's order (CONTRACT.md section 5): readiness 503 at once, serving on for
   * SHUTDOWN_GRACE_MS, then 503 to new requests, in-flight ones finished, the pool closed.
   * Calling it again while it runs joins the same stop.
   */
  close(): Promise<void>;
}

/** Bodies above 1 MiB are refused with 413 (CONTRACT.md section 3). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** A caller's own `x-request-id` is kept when it is a sane token; anything else gets a fresh UUID. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface BuildOptions {
  /** Where JSON log lines go (stdout by default); tests read them from here. */
  readonly logStream?: { write(line: string): void };
  /**
   * Pre-filled as `Authorization: Bearer …` in the GraphQL playground. Only `src/main.ts` on the
   * embedded default passes one (its dev token); never set it when the operator configured auth.
   */
  readonly playgroundToken?: string;
  /** How long a stopping gateway answers 503 on open connections before closing them (default `DRAIN_LINGER_MS`). */
  readonly drainLingerMs?: number;
  /** Tracing's hooks; `src/main.ts` passes them only when tracing is configured (and started). */
  readonly tracing?: RequestTracing;
}

/**
 * Once it stops taking requests, the gateway keeps its connections open this long: a client that
 * sends on a keep-alive connection that just went idle gets a 503 with `Connection: close` and
 * retries elsewhere, instead of a connection reset that it cannot tell from a lost request.
 */
const DRAIN_LINGER_MS = 250;
const DRAIN_KEEP_ALIVE_MS = 500;
/** A request past its deadline answers within this much more (its work is cancelled first). */
const IN_FLIGHT_GRACE_MS = 2500;

/** Levels at which the one line per request is written (it is an `info` line). */
const REQUEST_LINE_LEVELS: ReadonlySet<string> = new Set(['info', 'debug', 'trace']);

/**
 * JSON lines, to `logStream` when given, else to stdout; on a terminal (and no stream given) they
 * go through pino-pretty in a worker thread instead, so a person can read them.
 */
function logOutput(logStream: BuildOptions['logStream']): object {
  if (logStream !== undefined) return { stream: logStream };
  if (process.stdout.isTTY) {
    return { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true } } };
  }
  return {};
}

/** How long a request may wait for a database connection before the database counts as unavailable. */
const CONNECT_TIMEOUT_MS = 2000;

/** Headers that have not all arrived after this long are a stalled client (Node answers 408 and closes). */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * Idle keep-alive connections are closed after this long: above the 60 s idle timeout of common
 * load balancers, so that the balancer, not the gateway, closes first (Fastify's own default).
 */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/**
 * Node's own whole-request timeout, a backstop behind the gateway's deadline (which answers in the
 * contract's shape); Node checks it, and the headers timeout, once per this interval.
 */
const REQUEST_TIMEOUT_BACKSTOP_MS = 2000;
const CONNECTIONS_CHECK_INTERVAL_MS = 1000;

/**
 * Wires the whole gateway from its configuration. `config.databaseUrl` and one token key must be
 * resolved (`src/main.ts` does it for the embedded default).
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<Gateway> {
  const url = config.databaseUrl;
  if (url === undefined) throw new Error('buildApp needs config.databaseUrl');
  // On connections of their own: the app's pool carries the request deadline as statement
  // timeout, which a long migration must not be held to.
  // A direct session when DATABASE_URL goes through a transaction pooler: migrations hold an advisory lock.
  if (config.migrationsRun) await migrateDatabase(config.databaseDirectUrl ?? url);

  const database = new Database({
    url,
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.requestTimeoutMs,
    connectionWaitMs: Math.min(CONNECT_TIMEOUT_MS, config.requestTimeoutMs),
    onIdleError: (error) => app.log.warn({ err: error }, 'idle database connection failed; the pool replaces it'),
    onStatement: (name) => metrics.countStatement(name),
    sessionState: config.databasePreparedStatements,
  });
  const metrics: GatewayMetrics = new GatewayMetrics({ poolSize: config.databasePoolSize, pool: () => database.counts() });
  const observe = requestObserver(metrics, REQUEST_LINE_LEVELS.has(config.logLevel), options.tracing?.traceIdOf);

  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
      ...logOutput(options.logStream),
    },
    // Instead of Fastify's two lines per request, one line when the response is sent (observeRequests).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // The contract's own 503 (below) answers requests that arrive while closing.
    return503OnClosing: false,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: config.requestTimeoutMs + REQUEST_TIMEOUT_BACKSTOP_MS,
    http: {
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, config.requestTimeoutMs),
      connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
    },
    routerOptions: { ignoreTrailingSlash: true },
    // A number of proxies is a function of the hop for Fastify's types (proxy-addr reads both alike).
    trustProxy: typeof config.trustProxy === 'number' ? trustNearest(config.trustProxy) : config.trustProxy,
    // Requests the HTTP parser cannot read (bad syntax, headers over 16 KiB, a request still
    // incomplete at Node's own timeout) get the contract's body, not Fastify's.
    clientErrorHandler: answerClientError,
    // Answered before any route or hook, so observed here.
    frameworkErrors: (error, request, reply) => {
      answerUnreadableUrl(error, request, reply);
      observe(request, reply);
    },
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });

  const health = new HealthProbe(
    url,
    MIGRATION_NAMES,
    Math.min(CONNECT_TIMEOUT_MS, config.requestTimeoutMs),
    config.databasePreparedStatements,
  );

  observeRequests(app, observe);

  /** Readiness is 503 from the first moment of a stop; requests are still served during the grace. */
  let stopping = false;
  let closing = false;
  app.decorateRequest('caller', null);
  app.decorateRequest('authFailure', null);
  // Requests not yet answered, so that a stop closes the WebSockets only once they are: counted
  // from arrival until their answer starts (onSend), or their connection goes first. A client
  // slow to read an answer holds no stop.
  const unanswered = new WeakSet<object>();
  let inFlight = 0;
  let settled: (() => void) | undefined;
  const answered = (request: object) => {
    if (!unanswered.delete(request)) return;
    inFlight--;
    if (inFlight === 0) settled?.();
  };
  // Hooks that run for every request take callbacks: no promise per request and hook.
  app.addHook('onRequest', (request, reply, done) => {
    // A WebSocket upgrade stays open for as long as the socket: it is no request in flight. (The
    // upgrade header, not request.ws: the websocket plugin sets that in a hook that runs later.)
    if (request.headers.upgrade?.toLowerCase() !== 'websocket') {
      unanswered.add(request);
      inFlight++;
      reply.raw.once('close', () => answered(request));
    }
    reply.header('x-request-id', request.id);
    if (!closing) return done();
    reply.header('connection', 'close');
    done(new ServiceUnavailableError('The gateway is shutting down; retry shortly.', 1));
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    answered(request);
    // API answers are never sniffed into another type, nor kept by a cache (they are per caller).
    // Pages and assets that can be cached say so themselves.
    reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    // Answers of requests that were in flight when the stop began: keep the connection for a
    // request already pipelined behind (it gets its 503), but tell the client not to send another
    // on it. Node would advertise the keep-alive timeout the request arrived with (72 s).
    if (closing && !reply.hasHeader('connection')) reply.header('connection', 'keep-alive').header('keep-alive', 'timeout=0');
    done(null, payload);
  });
  const hubs = hubModule(database, { requestTimeoutMs: config.requestTimeoutMs });
  const answerUnreadableUrl = registerErrorHandling(app, { unreadableUrls: hubs.unreadableUrls });
  let stopGraphQL: () => Promise<void>;
  try {
    registerDeadlines(app, config.requestTimeoutMs);
    app.addHook('onClose', async () => {
      await Promise.all([database.close(), health.close()]);
    });
    purgeExpiredKeysRegularly(app, hubs.idempotency);
    const changes = hubs.changeListener({
      url: config.databaseDirectUrl ?? url,
      log: app.log,
      onReconnect: () => metrics.countListenerReconnect(),
    });
    // Listening before the first request is served, so a subscription sees every later change; a
    // database that is not there yet is waited for in the background (the listener retries).
    await Promise.race([changes.start(), delay(CONNECT_TIMEOUT_MS)]);
    app.addHook('onClose', () => changes.stop());
    const verifier = createTokenVerifier(config.auth);
    const redis = config.redisUrl === undefined ? undefined : await connectRedis(config.redisUrl, app.log);
    app.addHook('onClose', async () => {
      redis?.disconnect();
    });
    const rateLimit = await createRateLimit(app, config, redis, (key) => metrics.countRateLimitRejection(key));

    registerHealthRoutes(app, health, () => stopping);
    registerMetricsRoute(app, metrics);
    await registerHttpBasics(app, config);
    await registerOpenApi(app, [hubs.openApi]);
    await hubs.registerRoutes(app, { verifier, rateLimit: rateLimit.hook });
    await registerApiDocs(app);
    stopGraphQL = await registerGraphQL(app, {
      config,
      modules: [hubs.graphql],
      verifier,
      rateLimit: rateLimit.hook,
      consume: rateLimit.consume,
      redis,
      metrics,
      playgroundToken: options.playgroundToken,
      traceOperation: options.tracing?.traceOperation,
    });
    await app.ready();
  } catch (error) {
    // A gateway that did not start holds nothing: its listener and pools would keep the process alive.
    await app.close().catch(() => undefined);
    throw error;
  }

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    stopping = true;
    await delay(config.shutdownGraceMs);
    closing = true;
    // A connection that goes idle from now on closes shortly after; without this, one that went
    // idle after the stop began would hold it for the 72 s of keep-alive.
    app.server.keepAliveTimeout = DRAIN_KEEP_ALIVE_MS;
    await delay(options.drainLingerMs ?? DRAIN_LINGER_MS);
    // Requests in flight finish first (each within its deadline, plus the time a cancelled one
    // takes to say so); only then do the WebSockets close, with 1001 (CONTRACT.md section 4a).
    if (inFlight > 0) {
      await Promise.race([new Promise<void>((resolve) => (settled = resolve)), delay(config.requestTimeoutMs + IN_FLIGHT_GRACE_MS)]);
    }
    // Through Apollo's drain plugin this closes Fastify: no new connections, the sockets close,
    // then the pool closes (onClose above).
    await stopGraphQL();
  };

  return {
    app,
    database,
    close: () => (stopped ??= stop()),
  };
}

const trustNearest = (proxies: number) => (_address: string, hop: number) => hop < proxies;

// Unref'd: a wait that lost its race must not keep a stopped process alive.
const delay = (ms: number): Promise<void> => (ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms).unref()));

/** Expired idempotency keys are ignored anyway; deleting them hourly keeps the table small. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** Housekeeping draws from a share of its own, never from a tenant's. */
const HOUSEKEEPING = 'housekeeping';
const PURGE_TIMEOUT_MS = 60_000;

function purgeExpiredKeysRegularly(app: FastifyInstance, idempotency: IdempotencyRepository): void {
  const timer = setInterval(() => {
    idempotency
      .purgeExpired({ tenantId: HOUSEKEEPING, deadline: new Deadline(PURGE_TIMEOUT_MS), lane: new Semaphore(1) })
      .then((deleted) => app.log.debug({ deleted }, 'purged expired idempotency keys'))
      .catch((error: unknown) => app.log.warn({ err: error }, 'could not purge expired idempotency keys'));
  }, PURGE_INTERVAL_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
