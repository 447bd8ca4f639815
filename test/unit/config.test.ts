import { CONFIG_VARIABLES, ConfigError, loadConfig, withoutGatewayConfig, type Config } from '../../src/config/config';

type Env = Record<string, string>;

/** Runs `loadConfig` expecting a `ConfigError` and returns it, so tests can check what it names. */
function configErrorOf(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

function expectRejected(env: Env, variable: string): void {
  const error = configErrorOf(env);
  expect(error.variable).toBe(variable);
  expect(error.message).toContain(variable);
}

const SECRET = 'a-hs256-secret-of-at-least-32-bytes!';
const DATABASE_URL = 'postgres://hubs:pw@db.example.com:5432/hubs';
const JWKS_URL = 'https://id.example.com/.well-known/jwks.json';

interface Setting {
  readonly variable: string;
  readonly select: (config: Config) => unknown;
  /** The contract's default (section 1). */
  readonly fallback: unknown;
  /** A valid value and what it parses to. */
  readonly value: string;
  readonly parsed: unknown;
}

/** Every variable of the contract's table except DATABASE_URL, which needs auth (tested below). */
const settings: readonly Setting[] = [
  { variable: 'PORT', select: (c) => c.port, fallback: 8080, value: '3000', parsed: 3000 },
  { variable: 'HOST', select: (c) => c.host, fallback: '0.0.0.0', value: '127.0.0.1', parsed: '127.0.0.1' },
  { variable: 'DATABASE_POOL_SIZE', select: (c) => c.databasePoolSize, fallback: 10, value: '25', parsed: 25 },
  { variable: 'DATABASE_PREPARED_STATEMENTS', select: (c) => c.databasePreparedStatements, fallback: true, value: 'false', parsed: false },
  { variable: 'MIGRATIONS_RUN', select: (c) => c.migrationsRun, fallback: true, value: 'false', parsed: false },
  { variable: 'AUTH_JWT_SECRET', select: (c) => c.auth.jwtSecret, fallback: undefined, value: SECRET, parsed: SECRET },
  { variable: 'AUTH_JWKS_URL', select: (c) => c.auth.jwksUrl, fallback: undefined, value: JWKS_URL, parsed: JWKS_URL },
  {
    variable: 'AUTH_ISSUER',
    select: (c) => c.auth.issuer,
    fallback: undefined,
    value: 'https://id.example.com/',
    parsed: 'https://id.example.com/',
  },
  { variable: 'AUTH_AUDIENCE', select: (c) => c.auth.audience, fallback: undefined, value: 'hubs-api', parsed: 'hubs-api' },
  {
    variable: 'AUTH_TENANT_CLAIM',
    select: (c) => c.auth.tenantClaim,
    fallback: 'tenantId',
    value: 'https://example.com/tenant',
    parsed: 'https://example.com/tenant',
  },
  { variable: 'AUTH_SCOPE_READ', select: (c) => c.auth.scopeRead, fallback: 'hubs:read', value: 'hub.read', parsed: 'hub.read' },
  { variable: 'AUTH_SCOPE_WRITE', select: (c) => c.auth.scopeWrite, fallback: 'hubs:write', value: 'hub.write', parsed: 'hub.write' },
  { variable: 'REQUEST_TIMEOUT_MS', select: (c) => c.requestTimeoutMs, fallback: 10_000, value: '2500', parsed: 2500 },
  { variable: 'RATE_LIMIT_MAX', select: (c) => c.rateLimit.max, fallback: 600, value: '100', parsed: 100 },
  { variable: 'RATE_LIMIT_WINDOW_MS', select: (c) => c.rateLimit.windowMs, fallback: 60_000, value: '1000', parsed: 1000 },
  {
    variable: 'REDIS_URL',
    select: (c) => c.redisUrl,
    fallback: undefined,
    value: 'redis://cache.example.com:6379',
    parsed: 'redis://cache.example.com:6379',
  },
  { variable: 'GRAPHQL_INTROSPECTION', select: (c) => c.graphql.introspection, fallback: true, value: 'false', parsed: false },
  { variable: 'GRAPHQL_MAX_DEPTH', select: (c) => c.graphql.maxDepth, fallback: 20, value: '12', parsed: 12 },
  { variable: 'GRAPHQL_MAX_COST', select: (c) => c.graphql.maxCost, fallback: 5000, value: '20000', parsed: 20_000 },
  {
    variable: 'CORS_ORIGINS',
    select: (c) => c.corsOrigins,
    fallback: '*',
    value: 'https://app.example.com',
    parsed: ['https://app.example.com'],
  },
  {
    variable: 'GRAPHQL_TRUSTED_DOCUMENTS',
    select: (c) => c.graphql.trustedDocuments,
    fallback: undefined,
    value: '/etc/hubs/persisted-documents.json',
    parsed: '/etc/hubs/persisted-documents.json',
  },
  { variable: 'GRAPHQL_FEDERATION', select: (c) => c.graphql.federation, fallback: false, value: 'true', parsed: true },
  {
    variable: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    select: (c) => c.tracing,
    fallback: undefined,
    value: 'http://collector:4318',
    parsed: { endpoint: 'http://collector:4318', protocol: 'http/protobuf', serviceName: 'hubs-gateway', sampler: 'parentbased_always_on', samplerRatio: 1 },
  },
  { variable: 'LOG_LEVEL', select: (c) => c.logLevel, fallback: 'info', value: 'debug', parsed: 'debug' },
  { variable: 'SHUTDOWN_GRACE_MS', select: (c) => c.shutdownGraceMs, fallback: 0, value: '5000', parsed: 5000 },
  { variable: 'TRUST_PROXY', select: (c) => c.trustProxy, fallback: false, value: '10.0.0.0/8, 192.168.1.7', parsed: '10.0.0.0/8,192.168.1.7' },
];

describe('loadConfig', () => {
  describe('defaults', () => {
    test.each(settings)('when $variable is unset, then it defaults to $fallback', ({ select, fallback }) => {
      expect(select(loadConfig({}))).toEqual(fallback);
    });

    test('when DATABASE_URL is unset, then the embedded database is used and no auth is required', () => {
      const config = loadConfig({});
      expect(config.databaseUrl).toBeUndefined();
      expect(config.auth.jwtSecret).toBeUndefined();
      expect(config.auth.jwksUrl).toBeUndefined();
    });

    test('when every variable is an empty or blank string, then each counts as unset', () => {
      const variables = ['DATABASE_URL', ...settings.map((s) => s.variable)];
      const blank = Object.fromEntries(variables.map((variable, i) => [variable, i % 2 === 0 ? '' : '   ']));
      expect(loadConfig(blank)).toEqual(loadConfig({}));
    });
  });

  describe('parsing', () => {
    test.each(settings)('when $variable is "$value", then it is read as $parsed', ({ variable, value, select, parsed }) => {
      expect(select(loadConfig({ [variable]: value }))).toEqual(parsed);
    });

    test('when CORS_ORIGINS is a comma-separated list, then each origin is kept, trimmed, in order', () => {
      const config = loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:3000 ,https://admin.example.com' });
      expect(config.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000', 'https://admin.example.com']);
    });

    test.each([
      ['true', true],
      ['off', false],
      ['2', 2],
      ['::1', '::1'],
      ['fd00::/8,127.0.0.1', 'fd00::/8,127.0.0.1'],
    ])('when TRUST_PROXY is "%s", then it is read as %p', (value, expected) => {
      expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
    });

    test('when AUTH_JWT_SECRET has surrounding spaces, then it is kept byte for byte', () => {
      expect(loadConfig({ AUTH_JWT_SECRET: ` ${SECRET} ` }).auth.jwtSecret).toBe(` ${SECRET} `);
    });

    test.each([
      ['true', true],
      ['1', true],
      ['yes', true],
      ['ON', true],
      ['false', false],
      ['0', false],
      ['no', false],
      ['Off', false],
    ])('when a boolean variable is "%s", then it is read as %p', (value, expected) => {
      const config = loadConfig({ MIGRATIONS_RUN: value, GRAPHQL_INTROSPECTION: value });
      expect(config.migrationsRun).toBe(expected);
      expect(config.graphql.introspection).toBe(expected);
    });

    test.each([
      ['AUTH_JWT_SECRET', SECRET, (c: Config) => c.auth.jwtSecret, SECRET],
      ['AUTH_JWKS_URL', JWKS_URL, (c: Config) => c.auth.jwksUrl, JWKS_URL],
    ])('when DATABASE_URL is set together with %s, then both are kept', (variable, value, select, expected) => {
      const config = loadConfig({ DATABASE_URL, [variable]: value });
      expect(config.databaseUrl).toBe(DATABASE_URL);
      expect(select(config)).toBe(expected);
    });
  });

  describe('tracing', () => {
    test('when the OTLP protocol, service name and sampler are set with the endpoint, then each is read', () => {
      const config = loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example.com',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'hubs-eu',
        OTEL_TRACES_SAMPLER: 'ParentBased_TraceIdRatio',
        OTEL_TRACES_SAMPLER_ARG: '0.1',
      });
      expect(config.tracing).toEqual({
        endpoint: 'https://collector.example.com',
        protocol: 'http/json',
        serviceName: 'hubs-eu',
        sampler: 'parentbased_traceidratio',
        samplerRatio: 0.1,
      });
    });

    test('when the other OTEL variables are set without the endpoint, then tracing stays off', () => {
      expect(loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_TRACES_SAMPLER: 'always_on' }).tracing).toBeUndefined();
    });
  });

  describe('bad values', () => {
    test.each([
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['DATABASE_POOL_SIZE', '0'],
      ['MIGRATIONS_RUN', 'maybe'],
      ['AUTH_JWT_SECRET', 'x'.repeat(31)],
      ['AUTH_JWKS_URL', 'not-a-url'],
      ['REQUEST_TIMEOUT_MS', '-5'],
      ['RATE_LIMIT_MAX', '1.5'],
      ['RATE_LIMIT_WINDOW_MS', 'x'],
      ['REDIS_URL', 'http://x'],
      ['GRAPHQL_INTROSPECTION', '2'],
      ['GRAPHQL_MAX_DEPTH', '0'],
      ['GRAPHQL_MAX_COST', 'abc'],
      ['CORS_ORIGINS', 'not an origin'],
      ['CORS_ORIGINS', ' , '],
      ['LOG_LEVEL', 'loud'],
      ['SHUTDOWN_GRACE_MS', '-1'],
      ['TRUST_PROXY', 'the balancer'],
      ['TRUST_PROXY', '10.0.0.0/33'],
      ['TRUST_PROXY', '10.0.0.1, nope'],
      ['DATABASE_URL', 'mysql://x'],
      ['AUTH_TENANT_CLAIM', 'tenant id'],
      ['AUTH_SCOPE_READ', 'hubs read'],
      ['AUTH_SCOPE_WRITE', 'hubs write'],
      ['GRAPHQL_FEDERATION', 'perhaps'],
      ['DATABASE_PREPARED_STATEMENTS', 'sometimes'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
      ['OTEL_TRACES_SAMPLER', 'sometimes'],
      ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
      ['OTEL_TRACES_SAMPLER_ARG', 'half'],
    ])('when %s is "%s", then a ConfigError names it', (variable, value) => {
      expectRejected({ [variable]: value }, variable);
    });

    test('when DATABASE_URL is set without AUTH_JWT_SECRET or AUTH_JWKS_URL, then a ConfigError names AUTH_JWT_SECRET', () => {
      const error = configErrorOf({ DATABASE_URL });
      expect(error.variable).toBe('AUTH_JWT_SECRET');
      expect(error.message).toContain('AUTH_JWKS_URL');
    });

    test('when both AUTH_JWT_SECRET and AUTH_JWKS_URL are set, then a ConfigError names both', () => {
      const error = configErrorOf({ AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: JWKS_URL });
      expect(error.message).toContain('AUTH_JWT_SECRET');
      expect(error.message).toContain('AUTH_JWKS_URL');
    });
  });
});

describe('the list of configuration variables', () => {
  test('when the configuration is loaded, then it reads only the listed variables, and each of them', () => {
    const read = new Set<string>();
    const env = new Proxy({ AUTH_JWT_SECRET: SECRET } as Env, {
      get: (target, key) => {
        if (typeof key === 'string') read.add(key);
        return target[key as string];
      },
    });
    loadConfig(env);
    expect([...read].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  test('when an environment is cleaned of gateway configuration, then every listed variable is gone and nothing else', () => {
    const env = Object.fromEntries([...CONFIG_VARIABLES.map((variable) => [variable, 'x']), ['PATH', '/usr/bin'], ['DATABASE_HOST_ALIAS', 'kept']]);
    expect(withoutGatewayConfig(env)).toEqual({ PATH: '/usr/bin', DATABASE_HOST_ALIAS: 'kept' });
  });
});
