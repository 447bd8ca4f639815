import { isIP } from 'node:net';

/**
 * The gateway's whole configuration, read from environment variables in this one place
 * (CONTRACT.md section 1). Nothing else in the code reads `process.env`.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Unset means "run on the embedded PostgreSQL under `.data/`". */
  readonly databaseUrl: string | undefined;
  /**
   * A direct session with PostgreSQL when `databaseUrl` goes through a transaction-pooling proxy:
   * for listening to changes (LISTEN needs a session of its own). Unset: `databaseUrl`.
   */
  readonly databaseDirectUrl: string | undefined;
  readonly databasePoolSize: number;
  /**
   * Named prepared statements and session parameters on the pool; false behind a transaction-
   * pooling proxy that keeps neither (PgBouncer in transaction mode).
   */
  readonly databasePreparedStatements: boolean;
  readonly migrationsRun: boolean;
  readonly auth: AuthConfig;
  readonly requestTimeoutMs: number;
  /** After SIGTERM, serve this long while readiness answers 503, so a balancer stops routing here first. */
  readonly shutdownGraceMs: number;
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  readonly redisUrl: string | undefined;
  readonly graphql: GraphQLConfig;
  /** OpenTelemetry tracing; unset (no `OTEL_EXPORTER_OTLP_ENDPOINT`) means no tracing code is loaded at all. */
  readonly tracing: TracingConfig | undefined;
  /** `'*'` allows any origin; tokens travel in a header, so no credentials mode is involved. */
  readonly corsOrigins: '*' | readonly string[];
  /**
   * Whose `X-Forwarded-For` to believe for the client's address (rate limits per IP, logs): no one
   * (`false`, the default), any peer (`true`), the nearest N proxies, or the listed addresses and
   * CIDR ranges (Fastify's `trustProxy`).
   */
  readonly trustProxy: boolean | number | string;
  readonly logLevel: LogLevel;
}

export interface GraphQLConfig {
  readonly introspection: boolean;
  readonly maxDepth: number;
  readonly maxCost: number;
  /** Path of the trusted documents manifest; when set, only its documents run (CONTRACT.md section 4b). */
  readonly trustedDocuments: string | undefined;
  /** Also serve the schema as an Apollo Federation 2 subgraph (CONTRACT.md section 4c). */
  readonly federation: boolean;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** OpenTelemetry's own sampler names (the specification's `OTEL_TRACES_SAMPLER` values). */
export type TraceSampler =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

const TRACE_SAMPLERS: readonly TraceSampler[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

export interface TracingConfig {
  /** OTLP base URL; spans go to `<endpoint>/v1/traces`. */
  readonly endpoint: string;
  readonly protocol: OtlpProtocol;
  readonly serviceName: string;
  readonly sampler: TraceSampler;
  /** The ratio of the `*traceidratio` samplers, 0 to 1. */
  readonly samplerRatio: number;
}

export interface AuthConfig {
  readonly jwtSecret: string | undefined;
  readonly jwksUrl: string | undefined;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  readonly tenantClaim: string;
  readonly scopeRead: string;
  readonly scopeWrite: string;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** A configuration problem; its message always names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Every variable the configuration reads: `loadConfig` can read no other (its readers take these names). */
export const CONFIG_VARIABLES = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DATABASE_DIRECT_URL',
  'DATABASE_POOL_SIZE',
  'DATABASE_PREPARED_STATEMENTS',
  'MIGRATIONS_RUN',
  'AUTH_JWT_SECRET',
  'AUTH_JWKS_URL',
  'AUTH_ISSUER',
  'AUTH_AUDIENCE',
  'AUTH_TENANT_CLAIM',
  'AUTH_SCOPE_READ',
  'AUTH_SCOPE_WRITE',
  'REQUEST_TIMEOUT_MS',
  'SHUTDOWN_GRACE_MS',
  'RATE_LIMIT_MAX',
  'RATE_LIMIT_WINDOW_MS',
  'REDIS_URL',
  'GRAPHQL_INTROSPECTION',
  'GRAPHQL_MAX_DEPTH',
  'GRAPHQL_MAX_COST',
  'GRAPHQL_TRUSTED_DOCUMENTS',
  'GRAPHQL_FEDERATION',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'CORS_ORIGINS',
  'TRUST_PROXY',
  'LOG_LEVEL',
] as const;

export type ConfigVariable = (typeof CONFIG_VARIABLES)[number];

/**
 * `env` without any variable that configures the gateway: the environment for a gateway started
 * with exactly the configuration it is then given (tests, the benchmark), whatever the shell has.
 */
export function withoutGatewayConfig(env: Env): Record<string, string | undefined> {
  const rest: Record<string, string | undefined> = { ...env };
  for (const variable of CONFIG_VARIABLES) delete rest[variable];
  return rest;
}

/**
 * Reads and validates every variable of the contract. Empty strings count as unset, so a blank
 * line in an env file falls back to the default instead of failing in an odd way.
 */
export function loadConfig(env: Env): Config {
  const read = (name: ConfigVariable): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const integer = (name: ConfigVariable, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${raw}`);
    return value;
  };

  const boolean = (name: ConfigVariable, fallback: boolean): boolean => {
    const raw = read(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    throw new ConfigError(name, `must be true or false, got "${read(name)}"`);
  };

  const url = (name: ConfigVariable, protocols: readonly string[]): string | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(name, 'must be a URL');
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(name, `must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`);
    }
    return raw;
  };

  const name = (variable: ConfigVariable, fallback: string): string => {
    const raw = read(variable) ?? fallback;
    if (/\s/.test(raw)) throw new ConfigError(variable, 'must not contain spaces');
    return raw;
  };

  // The secret is used byte for byte: trimming it would break tokens signed elsewhere with it.
  const jwtSecret = read('AUTH_JWT_SECRET') === undefined ? undefined : env.AUTH_JWT_SECRET;
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret, 'utf8') < 32) {
    throw new ConfigError('AUTH_JWT_SECRET', 'must be at least 32 bytes long');
  }
  const jwksUrl = url('AUTH_JWKS_URL', ['https:', 'http:']);
  if (jwtSecret !== undefined && jwksUrl !== undefined) {
    throw new ConfigError('AUTH_JWT_SECRET', 'and AUTH_JWKS_URL are both set: configure exactly one way to verify tokens');
  }
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  if (databaseUrl !== undefined && jwtSecret === undefined && jwksUrl === undefined) {
    throw new ConfigError(
      'AUTH_JWT_SECRET',
      'or AUTH_JWKS_URL must be set when DATABASE_URL is set: without them anyone could use the API ' +
        '(the generated dev secret is only for the embedded database)',
    );
  }

  const scopeRead = name('AUTH_SCOPE_READ', 'hubs:read');
  const scopeWrite = name('AUTH_SCOPE_WRITE', 'hubs:write');

  const logLevel = (read('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const tracing = tracingConfig(read('OTEL_EXPORTER_OTLP_ENDPOINT') === undefined ? undefined : url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']), {
    protocol: read('OTEL_EXPORTER_OTLP_PROTOCOL'),
    serviceName: read('OTEL_SERVICE_NAME'),
    sampler: read('OTEL_TRACES_SAMPLER'),
    samplerArg: read('OTEL_TRACES_SAMPLER_ARG'),
  });

  return {
    port: integer('PORT', 8080, 0, 65535),
    host: read('HOST') ?? '0.0.0.0',
    databaseUrl,
    databaseDirectUrl: url('DATABASE_DIRECT_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: integer('DATABASE_POOL_SIZE', 10, 1, 1000),
    databasePreparedStatements: boolean('DATABASE_PREPARED_STATEMENTS', true),
    migrationsRun: boolean('MIGRATIONS_RUN', true),
    auth: {
      jwtSecret,
      jwksUrl,
      issuer: read('AUTH_ISSUER'),
      audience: read('AUTH_AUDIENCE'),
      tenantClaim: name('AUTH_TENANT_CLAIM', 'tenantId'),
      scopeRead,
      scopeWrite,
    },
    requestTimeoutMs: integer('REQUEST_TIMEOUT_MS', 10_000, 1, 3_600_000),
    shutdownGraceMs: integer('SHUTDOWN_GRACE_MS', 0, 0, 3_600_000),
    rateLimit: {
      max: integer('RATE_LIMIT_MAX', 600, 1, 1_000_000_000),
      windowMs: integer('RATE_LIMIT_WINDOW_MS', 60_000, 1, 86_400_000),
    },
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    graphql: {
      introspection: boolean('GRAPHQL_INTROSPECTION', true),
      maxDepth: integer('GRAPHQL_MAX_DEPTH', 20, 1, 1000),
      maxCost: integer('GRAPHQL_MAX_COST', 5000, 1, 10_000_000),
      trustedDocuments: read('GRAPHQL_TRUSTED_DOCUMENTS'),
      federation: boolean('GRAPHQL_FEDERATION', false),
    },
    tracing,
    corsOrigins: corsOrigins(read('CORS_ORIGINS')),
    trustProxy: trustProxy(read('TRUST_PROXY')),
    logLevel: logLevel as LogLevel,
  };
}

/** The OTEL_* variables are read (and checked) whether or not the endpoint is set, so a typo shows before tracing is turned on. */
function tracingConfig(
  endpoint: string | undefined,
  raw: { protocol?: string; serviceName?: string; sampler?: string; samplerArg?: string },
): TracingConfig | undefined {
  const protocol = raw.protocol ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError('OTEL_EXPORTER_OTLP_PROTOCOL', `must be http/protobuf or http/json, got "${protocol}"`);
  }
  const sampler = (raw.sampler ?? 'parentbased_always_on').toLowerCase();
  if (!TRACE_SAMPLERS.includes(sampler as TraceSampler)) {
    throw new ConfigError('OTEL_TRACES_SAMPLER', `must be one of ${TRACE_SAMPLERS.join(', ')}, got "${raw.sampler}"`);
  }
  const samplerRatio = raw.samplerArg === undefined ? 1 : Number(raw.samplerArg);
  if (!/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(raw.samplerArg ?? '1') || !(samplerRatio >= 0 && samplerRatio <= 1)) {
    throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', `must be a ratio between 0 and 1, got "${raw.samplerArg}"`);
  }
  if (endpoint === undefined) return undefined;
  return { endpoint, protocol, serviceName: raw.serviceName ?? 'hubs-gateway', sampler: sampler as TraceSampler, samplerRatio };
}

function trustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined) return false;
  const lower = raw.toLowerCase();
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) return true;
  if (/^[1-9][0-9]{0,2}$/.test(raw)) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixOk || rest.length > 0) {
      throw new ConfigError('TRUST_PROXY', `must be true, false, a number of proxies, or a comma-separated list of addresses and CIDR ranges, got "${entry}"`);
    }
  }
  return entries.join(',');
}

function corsOrigins(raw: string | undefined): '*' | readonly string[] {
  if (raw === undefined || raw === '*') return '*';
  const origins = raw.split(',').map((origin) => origin.trim()).filter(Boolean);
  if (origins.length === 0) throw new ConfigError('CORS_ORIGINS', 'must be * or a comma-separated list of origins');
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== origin) {
      throw new ConfigError('CORS_ORIGINS', `must be * or a comma-separated list of origins like https://app.example.com, got "${origin}"`);
    }
  }
  return origins;
}
