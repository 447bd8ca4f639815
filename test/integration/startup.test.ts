import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MIGRATIONS } from '../../src/db/data-source';
import { createTokenVerifier } from '../../src/auth/token-verifier';
import { loadConfig } from '../../src/config/config';
import { databaseUrl, TEST_SECRET } from '../support/gateway';
import { cleanEnv, runScript as run, startMain, stopMain as stop, type StartedGateway as Started } from '../support/processes';
import { createScratchDatabase } from '../support/scratch-database';
import { temporaryFolderPerSuite } from '../support/folders';

async function gql(started: Started, query: string): Promise<Record<string, unknown>> {
  const response = await fetch(started.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${started.token!}` },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data!;
}

describe('npm start with nothing configured', () => {
  const folder = temporaryFolderPerSuite('hubs-start');

  test('when started, then GraphQL is served on an embedded PostgreSQL and the printed token works for every operation', async () => {
    const started = await startMain(folder.path, cleanEnv({ PORT: '0', HOST: '127.0.0.1' }));
    try {
      expect(started.output()).toContain('/api/v1/hubs');
      const { createHub } = (await gql(started, 'mutation { createHub(input: {name: "First", description: "hub"}) { hubId } }')) as {
        createHub: { hubId: string };
      };
      const id = JSON.stringify(createHub.hubId);
      expect(await gql(started, `{ hub(hubId: ${id}) { name } }`)).toEqual({ hub: { name: 'First' } });
      expect(await gql(started, `mutation { updateHub(hubId: ${id}, input: {status: PAUSED}) { status } }`)).toEqual({
        updateHub: { status: 'PAUSED' },
      });
      await gql(started, 'mutation { createHub(input: {name: "Second", description: "kept"}) { hubId } }');
      expect(await gql(started, `mutation { deleteHub(hubId: ${id}) { name } }`)).toEqual({ deleteHub: { name: 'First' } });
      expect(await gql(started, '{ hubs { total } }')).toEqual({ hubs: { total: 1 } });
    } finally {
      expect(await stop(started)).toBe(0);
    }
    // The embedded server was stopped cleanly, not left behind.
    expect(existsSync(join(folder.path, '.data', 'postgres', 'postmaster.pid'))).toBe(false);
  }, 90_000);

  test('when started again, then the data, the dev tenant and the dev secret are kept under .data/', async () => {
    const started = await startMain(folder.path, cleanEnv({ PORT: '0', HOST: '127.0.0.1' }));
    try {
      expect(await gql(started, '{ hubs { total results { name } } }')).toEqual({ hubs: { total: 1, results: [{ name: 'Second' }] } });
    } finally {
      expect(await stop(started)).toBe(0);
    }
  }, 60_000);
});

describe('refusing to start', () => {
  const refusals = temporaryFolderPerSuite('hubs-refusals');

  test('when DATABASE_URL is set without any auth, then it exits 1 naming AUTH_JWT_SECRET', async () => {
    const result = await run('main.js', [], cleanEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/AUTH_JWT_SECRET/);
  });

  test('when a variable has a bad value, then it exits 1 naming it', async () => {
    const result = await run('main.js', [], cleanEnv({ REQUEST_TIMEOUT_MS: 'soon' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/REQUEST_TIMEOUT_MS must be an integer/);
  });

  test('when the trusted documents manifest is tampered with, then it exits 1 at once, naming the variable and the operation', async () => {
    const manifest = join(refusals.path, 'manifest.json');
    const id = createHash('sha256').update('query GetHub { hubs { total } }').digest('hex');
    await writeFile(manifest, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id, name: 'GetHub', type: 'query', body: '{ hubs { total } }' }] }));
    const result = await run(
      'main.js',
      [],
      cleanEnv({ DATABASE_URL: databaseUrl(), AUTH_JWT_SECRET: TEST_SECRET, MIGRATIONS_RUN: 'false', GRAPHQL_TRUSTED_DOCUMENTS: manifest }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/GRAPHQL_TRUSTED_DOCUMENTS lists operation GetHub under the id/);
  });
});

describe('npm run token', () => {
  test('when given a tenant, scope and ttl, then it prints a token the gateway accepts with exactly that', async () => {
    const tenant = '3bc1e69f-c520-446f-ab2c-01751fd66a31';
    const result = await run('scripts/token.js', ['--tenant', tenant, '--scope', 'hubs:read', '--ttl', '120'], cleanEnv({ AUTH_JWT_SECRET: TEST_SECRET }));
    expect(result.code).toBe(0);
    const verifier = createTokenVerifier(loadConfig({ AUTH_JWT_SECRET: TEST_SECRET }).auth);
    const caller = await verifier.verify(`Bearer ${result.stdout.trim()}`);
    expect(caller).toEqual({ tenantId: tenant, permissions: new Set(['read']), expiresAt: expect.any(Number) });
    const payload = JSON.parse(Buffer.from(result.stdout.split('.')[1]!, 'base64url').toString()) as { exp: number; iat: number };
    expect(payload.exp - payload.iat).toBe(120);
  });

  test('when the tenant is not a GUID, then it exits 1 and says so', async () => {
    const result = await run('scripts/token.js', ['--tenant', 'acme'], cleanEnv({ AUTH_JWT_SECRET: TEST_SECRET }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--tenant must be a GUID/);
  });
});

describe('npm run migrate', () => {
  test('when run on a new database, then it applies the migrations; run again, then there is nothing to do', async () => {
    const scratch = await createScratchDatabase('hubs_migrate_cli');
    try {
      const env = cleanEnv({ DATABASE_URL: scratch.url, AUTH_JWT_SECRET: TEST_SECRET });
      expect(await run('scripts/migrate.js', [], env)).toMatchObject({ code: 0, stdout: `Applied: ${MIGRATIONS.map((migration) => migration.name).join(', ')}\n` });
      expect(await run('scripts/migrate.js', [], env)).toMatchObject({ code: 0, stdout: 'No pending migrations.\n' });
    } finally {
      await scratch.drop();
    }
  });
});
