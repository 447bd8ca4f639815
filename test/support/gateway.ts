import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { buildApp, type BuildOptions, type Gateway } from '../../src/app';
import { mintToken } from '../../src/auth/token-issuer';
import { loadConfig, type Config } from '../../src/config/config';

/** HS256 secret of every test gateway. */
export const TEST_SECRET = 'test-secret-for-the-hubs-gateway-0123456789';
export const READ_WRITE = ['hubs:read', 'hubs:write'];

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is set by the global setup');
  return url;
}

/** The configuration a test gateway runs with; migrations were applied by the global setup. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: databaseUrl(),
    AUTH_JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    MIGRATIONS_RUN: 'false',
    DATABASE_POOL_SIZE: '4',
    ...env,
  });
}

/** A gateway listening on a free port of 127.0.0.1, called over real HTTP like any client. */
export interface TestGateway extends Gateway {
  readonly url: string;
}

export async function startGateway(env: Record<string, string> = {}, options: BuildOptions = {}): Promise<TestGateway> {
  // Test gateways close at once; the shutdown tests pass a linger of their own.
  const gateway = await buildApp(testConfig(env), { drainLingerMs: 0, ...options });
  const url = await gateway.app.listen({ port: 0, host: '127.0.0.1' });
  return Object.assign(gateway, { url });
}

/** Every test works in tenants of its own, so files never see each other's hubs. */
export const newTenant = (): string => randomUUID();

export function tokenFor(tenantId: string, scopes: readonly string[] = READ_WRITE): Promise<string> {
  return mintToken({ secret: TEST_SECRET, tenantId, tenantClaim: 'tenantId', scopes, ttlSeconds: 600 });
}

export interface GraphQLError {
  message: string;
  path?: string[];
  extensions: Record<string, unknown> & { code: string };
}

export interface GraphQLResult<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { data?: T | null; errors?: GraphQLError[] };
}

/** Sends one GraphQL operation over HTTP, as a client would. */
export async function graphql<T = Record<string, unknown>>(
  gateway: TestGateway,
  query: string,
  options: { variables?: Record<string, unknown>; token?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResult<T>> {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResult<T>['body'] };
}

/** The one list of a hub's fields in tests: its keys in REST bodies (the seed page's six), sorted. */
export const REST_HUB_KEYS: readonly string[] = ['closeDormantConversation', 'description', 'hubId', 'name', 'statusId', 'tenantId'];
/** GraphQL Hub fields that REST also has, plus `status` (the enum GraphQL shows beside `statusId`). */
export const REST_HUB_FIELDS = [...REST_HUB_KEYS, 'status'].join(' ');
/** Every field of GraphQL's Hub. */
export const HUB_FIELDS = `${REST_HUB_FIELDS} version createdAt updatedAt`;

/** Collects a gateway's JSON log lines. */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];

  write(line: string): void {
    this.lines.push(JSON.parse(line) as Record<string, unknown>);
  }
}

export interface RestResult<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

/**
 * One REST call as a Hubster client makes it. `body` is sent as JSON; `raw` is sent as it is (for
 * malformed bodies). Content-Type is application/json unless `headers` say otherwise.
 */
export async function rest<T = Record<string, unknown>>(
  gateway: TestGateway,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<RestResult<T>> {
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    body: payload,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as T, text };
}

/** A test file's gateway and, for each test, a tenant of its own with a read-write token. */
export interface GatewayWithTenant {
  readonly gateway: TestGateway;
  readonly tenantId: string;
  readonly token: string;
}

/**
 * Starts a gateway before the file's tests and closes it after them, and makes a new tenant and
 * token before each test (jest hooks). Read the fields inside tests, not at the top of the file.
 */
export function gatewayWithTenant(env: Record<string, string> = {}, options: BuildOptions = {}): GatewayWithTenant {
  const suite = {} as { gateway: TestGateway; tenantId: string; token: string };
  beforeAll(async () => {
    suite.gateway = await startGateway(env, options);
  });
  afterAll(() => suite.gateway?.close());
  beforeEach(async () => {
    suite.tenantId = newTenant();
    suite.token = await tokenFor(suite.tenantId);
  });
  return suite;
}
