import { mintToken } from '../auth/token-issuer';
import type { Config } from '../config/config';
import { DataFolderInUseError } from './instance-lock';
import { startZeroConfig, type ZeroConfigStart } from './zero-config';

/** How long the printed dev token stays valid. */
const DEV_TOKEN_TTL_SECONDS = 24 * 60 * 60;

/** The embedded server's last lines, shown when it does not start. */
const LOG_LINES_KEPT = 40;

/** `npm start` with no `DATABASE_URL`: the embedded database, the dev secret and a printed token. */
export interface LocalStart {
  /** The configuration with the embedded database's URL (and the dev secret, unless auth is configured). */
  readonly config: Config;
  readonly zeroConfig: ZeroConfigStart;
  /** The dev tenant's token, for both scopes, printed when a secret (the dev one or the operator's) signs tokens. */
  readonly devToken: string | undefined;
  /**
   * Pre-filled in the playground: the dev token, only on the dev secret's own start, never a token
   * of auth the operator configured.
   */
  readonly playgroundToken: string | undefined;
  stop(): Promise<void>;
}

/** The local start could not be made; the message says why, for a person. */
export class LocalStartError extends Error {}

/**
 * Starts the embedded PostgreSQL under `.data/` (its lines go to stderr at `debug` and are kept for
 * a failure's message) and mints the dev token when the dev secret is what verifies tokens.
 */
export async function startLocally(config: Config): Promise<LocalStart> {
  const lines: string[] = [];
  let zeroConfig: ZeroConfigStart;
  try {
    zeroConfig = await startZeroConfig(config, (line) => {
      lines.push(line);
      if (lines.length > LOG_LINES_KEPT) lines.shift();
      if (config.logLevel === 'debug' || config.logLevel === 'trace') process.stderr.write(`[postgres] ${line}\n`);
    });
  } catch (error) {
    if (error instanceof DataFolderInUseError) throw new LocalStartError(error.message);
    throw new LocalStartError(`${String((error as Error).message ?? error)}\n${lines.join('\n')}`);
  }
  const local = zeroConfig.config;
  const secret = local.auth.jwtSecret;
  const devToken =
    secret !== undefined
      ? await mintToken({
          secret,
          tenantId: zeroConfig.devState.tenantId,
          tenantClaim: local.auth.tenantClaim,
          scopes: [local.auth.scopeRead, local.auth.scopeWrite],
          ttlSeconds: DEV_TOKEN_TTL_SECONDS,
          issuer: local.auth.issuer,
          audience: local.auth.audience,
        })
      : undefined;
  return {
    config: local,
    zeroConfig,
    devToken,
    playgroundToken: zeroConfig.usesDevSecret ? devToken : undefined,
    stop: () => zeroConfig.embedded.stop(),
  };
}

/** What `npm start` prints once it listens: the URLs, and on the embedded default the dev token. */
export function banner(base: string, config: Config, local: LocalStart | undefined): string {
  const lines = [
    '',
    'Hubs gateway is up',
    `  GraphQL:   ${base}/graphql (open it in a browser for the playground)`,
    `  REST:      ${base}/api/v1/hubs`,
    `  API docs:  ${base}/api/docs`,
    `  Health:    ${base}/health/ready`,
  ];
  if (local !== undefined) {
    lines.push(`  Database:  embedded PostgreSQL, data in .data/ (psql ${local.config.databaseUrl})`);
    if (local.devToken !== undefined) {
      lines.push(
        `  Tenant:    ${local.zeroConfig.devState.tenantId} (dev)`,
        `  Token:     valid 24 h, scopes "${config.auth.scopeRead} ${config.auth.scopeWrite}" (npm run token for another)`,
        '',
        `export TOKEN=${local.devToken}`,
        '',
        'Try it:',
        `  curl -s ${base}/graphql -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`,
        `    -d '{"query":"mutation { createHub(input: {name: \\"My hub\\", description: \\"First\\"}) { hubId name status } }"}'`,
        `  curl -s ${base}/graphql -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`,
        `    -d '{"query":"{ hubs { total results { hubId name } } }"}'`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
