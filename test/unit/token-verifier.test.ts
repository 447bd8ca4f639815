import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';
import { UnauthenticatedError, type Permission } from '../../src/auth/caller';
import { mintToken } from '../../src/auth/token-issuer';
import { CACHE_BYTES, CACHE_ENTRIES, createTokenVerifier, MAX_AUTHORIZATION_BYTES, type TokenVerifier } from '../../src/auth/token-verifier';
import { loadConfig } from '../../src/config/config';

const SECRET = 'token-verifier-test-secret-0123456789';
const TENANT = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';
const ISSUER = 'https://id.example.com/';
const AUDIENCE = 'hubs-api';

/** A verifier built from environment variables through the real `loadConfig`. */
function verifierFor(env: Record<string, string>): TokenVerifier {
  return createTokenVerifier(loadConfig(env).auth);
}

const hs256Verifier = (env: Record<string, string> = {}): TokenVerifier => verifierFor({ AUTH_JWT_SECRET: SECRET, ...env });

interface SignOptions {
  readonly alg?: string;
  readonly key?: KeyLike | Uint8Array;
  readonly kid?: string;
  /** Seconds since the epoch, or a jose time span like `'5m'`. */
  readonly expiresAt?: number | string;
}

const secretKey = (secret: string): Uint8Array => new TextEncoder().encode(secret);

/** Signs `claims`, by default as a valid HS256 token of the test secret that expires in 5 minutes. */
function sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
  const { alg = 'HS256', key = secretKey(SECRET), kid, expiresAt = '5m' } = options;
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', kid }).setIssuedAt().setExpirationTime(expiresAt).sign(key);
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An `alg: none` token: signed by nobody. */
function unsecuredToken(claims: JWTPayload): string {
  const now = Math.floor(Date.now() / 1000);
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ iat: now, exp: now + 300, ...claims })}.`;
}

const bearer = (token: string): string => `Bearer ${token}`;

const permissions = (...granted: Permission[]): Set<Permission> => new Set(granted);

async function expectUnauthenticated(verifier: TokenVerifier, authorization: string | undefined): Promise<void> {
  await expect(verifier.verify(authorization)).rejects.toBeInstanceOf(UnauthenticatedError);
}

describe('token verifier, HS256 secret mode', () => {
  const verifier = hs256Verifier();

  test('when a token from mintToken is presented, then the caller gets its tenant and permissions', async () => {
    const token = await mintToken({
      secret: SECRET,
      tenantId: TENANT,
      tenantClaim: 'tenantId',
      scopes: ['hubs:read', 'hubs:write'],
      ttlSeconds: 60,
    });
    const caller = await verifier.verify(bearer(token));
    expect(caller).toEqual({ tenantId: TENANT, permissions: permissions('read', 'write'), expiresAt: expect.any(Number) });
    // The token's exp, to the second: a socket closes when it passes.
    expect(Math.abs(caller.expiresAt! - (Date.now() + 60_000))).toBeLessThan(2000);
  });

  test.each<[string, unknown, Set<Permission>]>([
    ['a space-separated string with both scopes', 'hubs:read hubs:write', permissions('read', 'write')],
    ['an array with both scopes', ['hubs:read', 'hubs:write'], permissions('read', 'write')],
    ['only the write scope as a string', 'openid hubs:write', permissions('write', 'read')],
    ['only the write scope in an array', ['hubs:write'], permissions('write', 'read')],
    ['only the read scope', 'hubs:read', permissions('read')],
    ['only unrelated scopes', 'openid profile', permissions()],
    ['absent', undefined, permissions()],
  ])('when scope is %s, then the permissions follow from it', async (_, scope, expected) => {
    const caller = await verifier.verify(bearer(await sign({ tenantId: TENANT, scope })));
    expect(caller.permissions).toEqual(expected);
  });

  test('when the tenant GUID is upper case, then the caller tenant is lower case', async () => {
    const caller = await verifier.verify(bearer(await sign({ tenantId: TENANT.toUpperCase(), scope: 'hubs:read' })));
    expect(caller.tenantId).toBe(TENANT);
  });

  test('when the tenant is a GUID without RFC 4122 version bits (as on the seed page), then it is accepted', async () => {
    const seedTenant = 'abc1e69f-c888-875f-ee2c-45789fd66a00';
    const caller = await verifier.verify(bearer(await sign({ tenantId: seedTenant, scope: 'hubs:read' })));
    expect(caller.tenantId).toBe(seedTenant);
  });

  test.each<[string, () => Promise<string | undefined>]>([
    ['the header is missing', async () => undefined],
    ['the header is empty', async () => ''],
    ['the scheme is not Bearer', async () => `Basic ${await sign({ tenantId: TENANT })}`],
    ['the token is not a JWT', async () => bearer('not-a-jwt')],
    ['the token is three garbage segments', async () => bearer('abc.def.ghi')],
    ['the token has expired', async () => bearer(await sign({ tenantId: TENANT }, { expiresAt: Math.floor(Date.now() / 1000) - 60 }))],
    ['the token is signed with a different secret', async () => bearer(await sign({ tenantId: TENANT }, { key: secretKey(`other-${SECRET}`) }))],
    ['the token is unsecured (alg none)', async () => bearer(unsecuredToken({ tenantId: TENANT, scope: 'hubs:read hubs:write' }))],
    ['the token is HS384 with the right secret', async () => bearer(await sign({ tenantId: TENANT }, { alg: 'HS384' }))],
    ['the tenant claim is absent', async () => bearer(await sign({ scope: 'hubs:read' }))],
    ['the tenant claim is not a GUID', async () => bearer(await sign({ tenantId: 'acme' }))],
    ['the tenant claim is a number', async () => bearer(await sign({ tenantId: 42 }))],
  ])('when %s, then the caller is unauthenticated', async (_, authorization) => {
    await expectUnauthenticated(verifier, await authorization());
  });

  describe('when AUTH_TENANT_CLAIM is a custom claim', () => {
    const claim = 'https://example.com/tenant';
    const custom = hs256Verifier({ AUTH_TENANT_CLAIM: claim });

    test('then the tenant is read from that claim', async () => {
      const caller = await custom.verify(bearer(await sign({ [claim]: TENANT, scope: 'hubs:read' })));
      expect(caller.tenantId).toBe(TENANT);
    });

    test('then a token with only the default tenantId claim is unauthenticated', async () => {
      await expectUnauthenticated(custom, bearer(await sign({ tenantId: TENANT, scope: 'hubs:read' })));
    });
  });

  describe('when AUTH_SCOPE_READ and AUTH_SCOPE_WRITE are custom names', () => {
    const custom = hs256Verifier({ AUTH_SCOPE_READ: 'hub.read', AUTH_SCOPE_WRITE: 'hub.write' });

    test.each<[string, Set<Permission>]>([
      ['hub.read', permissions('read')],
      ['hub.write', permissions('read', 'write')],
      ['hubs:read hubs:write', permissions()],
    ])('then scope "%s" grants %p', async (scope, expected) => {
      const caller = await custom.verify(bearer(await sign({ tenantId: TENANT, scope })));
      expect(caller.permissions).toEqual(expected);
    });
  });

  describe('when AUTH_ISSUER and AUTH_AUDIENCE are set', () => {
    const strict = hs256Verifier({ AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE });
    const claims = { tenantId: TENANT, scope: 'hubs:read' };

    test.each<[string, JWTPayload]>([
      ['iss and aud match', { iss: ISSUER, aud: AUDIENCE }],
      ['aud is an array that includes the audience', { iss: ISSUER, aud: ['other-api', AUDIENCE] }],
    ])('then a token whose %s is accepted', async (_, registered) => {
      const caller = await strict.verify(bearer(await sign({ ...claims, ...registered })));
      expect(caller).toMatchObject({ tenantId: TENANT, permissions: permissions('read') });
    });

    test.each<[string, JWTPayload]>([
      ['iss differs', { iss: 'https://evil.example.com/', aud: AUDIENCE }],
      ['iss is missing', { aud: AUDIENCE }],
      ['aud differs', { iss: ISSUER, aud: 'other-api' }],
      ['aud is missing', { iss: ISSUER }],
    ])('then a token whose %s is unauthenticated', async (_, registered) => {
      await expectUnauthenticated(strict, bearer(await sign({ ...claims, ...registered })));
    });
  });
});

describe('token verifier, JWKS mode', () => {
  const KID = 'test-key-1';
  let server: Server;
  let signingKey: KeyLike;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    signingKey = privateKey;
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] });
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    verifier = verifierFor({ AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json` });
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });

  const claims = { tenantId: TENANT, scope: 'hubs:read hubs:write' };

  test('when a token is signed with the published RS256 key, then the caller gets its tenant and permissions', async () => {
    const token = await sign(claims, { alg: 'RS256', key: signingKey, kid: KID });
    await expect(verifier.verify(bearer(token))).resolves.toMatchObject({ tenantId: TENANT, permissions: permissions('read', 'write') });
  });

  test('when a token is signed by another RS256 key under the same kid, then the caller is unauthenticated', async () => {
    const { privateKey: otherKey } = await generateKeyPair('RS256');
    await expectUnauthenticated(verifier, bearer(await sign(claims, { alg: 'RS256', key: otherKey, kid: KID })));
  });

  test('when a token is HS256 signed with some secret, then the caller is unauthenticated', async () => {
    await expectUnauthenticated(verifier, bearer(await sign(claims, { kid: KID })));
  });
});

describe('remembered verifications', () => {
  test('when a verified token is presented again, then it is accepted without verifying afresh', async () => {
    const verifier = hs256Verifier();
    const authorization = bearer(await sign({ tenantId: TENANT, scope: 'hubs:read' }));
    const first = await verifier.verify(authorization);
    expect(await verifier.verify(authorization)).toBe(first);
  });

  test('when a remembered token expires, then it is refused from that moment on', async () => {
    const verifier = hs256Verifier();
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const authorization = bearer(await sign({ tenantId: TENANT, scope: 'hubs:read' }, { expiresAt }));
    await expect(verifier.verify(authorization)).resolves.toMatchObject({ tenantId: TENANT });
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
    await expectUnauthenticated(verifier, authorization);
  });

  test('when a token was refused, then it stays refused (failures are never remembered as successes)', async () => {
    const verifier = hs256Verifier();
    const forged = bearer(await sign({ tenantId: TENANT }, { key: secretKey('another-secret-of-at-least-32-bytes!') }));
    await expectUnauthenticated(verifier, forged);
    await expectUnauthenticated(verifier, forged);
  });
});

describe('what the verifier reads and keeps', () => {
  test('when the Authorization header is over 8 KiB, then it is refused before anything is parsed, even around a valid token', async () => {
    const verifier = hs256Verifier();
    const token = await sign({ tenantId: TENANT, scope: 'hubs:read' });
    const padded = (length: number) => `Bearer ${' '.repeat(length - 'Bearer '.length - token.length)}${token}`;
    await expect(verifier.verify(padded(MAX_AUTHORIZATION_BYTES))).resolves.toMatchObject({ tenantId: TENANT });
    await expect(verifier.verify(padded(MAX_AUTHORIZATION_BYTES + 1))).rejects.toThrow(/longer than 8192 bytes/);
  });

  test('when ever new spellings of one valid token arrive, then the cache stays within its entries and bytes', async () => {
    const verifier = hs256Verifier();
    const token = await sign({ tenantId: TENANT, scope: 'hubs:read' });
    // Spaces before and after the token make 12,000 distinct headers of up to 8 KiB, all valid.
    const room = MAX_AUTHORIZATION_BYTES - 'Bearer '.length - token.length - 2;
    for (let n = 1; n <= CACHE_ENTRIES + 2000; n++) {
      await verifier.verify(`Bearer ${' '.repeat(n % room)}${token}${' '.repeat(Math.floor(n / room))}`);
    }
    const { entries, bytes } = verifier.cached();
    expect(entries).toBeLessThanOrEqual(CACHE_ENTRIES);
    expect(bytes).toBeLessThanOrEqual(CACHE_BYTES);
    // Keys are digests: a 8 KiB header costs its cache no more than a short one.
    expect(bytes / entries).toBeLessThan(400);
  });

  test('when remembered tokens expire, then they are swept out, not kept until asked for again', async () => {
    jest.useFakeTimers({ now: Date.now(), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const verifier = hs256Verifier();
      const shortLived = await Promise.all(Array.from({ length: 50 }, (_, index) => sign({ tenantId: TENANT, n: index }, { expiresAt: Math.floor(Date.now() / 1000) + 30 })));
      for (const token of shortLived) await verifier.verify(bearer(token));
      expect(verifier.cached().entries).toBe(50);
      jest.setSystemTime(Date.now() + 2 * 60 * 1000);
      await verifier.verify(bearer(await sign({ tenantId: TENANT }, { expiresAt: '1h' })));
      expect(verifier.cached().entries).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
