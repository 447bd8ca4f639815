import { parseArgs } from 'node:util';
import { mintToken } from '../auth/token-issuer';
import { isGuid } from '../common/guid';
import { ConfigError, loadConfig } from '../config/config';
import { readDevState } from '../dev/dev-state';
import { DATA_DIR } from '../dev/zero-config';

const USAGE = 'usage: npm run token -- [--tenant <uuid>] [--scope "hubs:read hubs:write"] [--ttl 3600]';

/**
 * `npm run token`: prints one bearer token signed with AUTH_JWT_SECRET, or with the dev secret of
 * the embedded default. Only the token goes to stdout, so `TOKEN=$(npm run -s token)` works.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { tenant: { type: 'string' }, scope: { type: 'string' }, ttl: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) return void console.log(USAGE);

  const config = loadConfig(process.env);
  const devState = await readDevState(DATA_DIR);
  if (config.auth.jwksUrl !== undefined) {
    throw new Error('AUTH_JWKS_URL is set: tokens come from your identity provider, not from this command.');
  }
  const secret = config.auth.jwtSecret ?? (config.databaseUrl === undefined ? devState?.jwtSecret : undefined);
  if (secret === undefined) throw new Error('No secret to sign with: set AUTH_JWT_SECRET, or run `npm start` once to make the dev secret.');

  const tenantId = values.tenant ?? devState?.tenantId;
  if (!isGuid(tenantId)) throw new Error(`--tenant must be a GUID. ${USAGE}`);
  const ttl = Number(values.ttl ?? 3600);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error(`--ttl must be a positive number of seconds. ${USAGE}`);
  const scopes = (values.scope ?? `${config.auth.scopeRead} ${config.auth.scopeWrite}`).split(' ').filter(Boolean);

  console.log(
    await mintToken({
      secret,
      tenantId,
      tenantClaim: config.auth.tenantClaim,
      scopes,
      ttlSeconds: ttl,
      issuer: config.auth.issuer,
      audience: config.auth.audience,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : (error as Error).message);
  process.exitCode = 1;
});
