import 'reflect-metadata';
import { buildApp, type Gateway } from './app';
import { mintToken } from './auth/token-issuer';
import { ConfigError, loadConfig, type Config } from './config/config';
import type { EmbeddedDatabase } from './db/embedded-postgres';
import { DataFolderInUseError } from './dev/instance-lock';
import { startZeroConfig, type ZeroConfigStart } from './dev/zero-config';

/** How long the printed dev token stays valid. */
const DEV_TOKEN_TTL_SECONDS = 24 * 60 * 60;

/**
 * `npm start`: load the configuration, start the embedded database when none is configured,
 * build the gateway, listen, and stop in order on SIGINT/SIGTERM.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) return fail(`Configuration error: ${error.message}`);
    throw error;
  }

  const embeddedLog: string[] = [];
  let zeroConfig: ZeroConfigStart | undefined;
  if (config.databaseUrl === undefined) {
    console.log('No DATABASE_URL: starting the embedded PostgreSQL (data in .data/) ...');
    try {
      zeroConfig = await startZeroConfig(config, (line) => {
        embeddedLog.push(line);
        if (embeddedLog.length > 40) embeddedLog.shift();
        if (config.logLevel === 'debug' || config.logLevel === 'trace') process.stderr.write(`[postgres] ${line}\n`);
      });
    } catch (error) {
      if (error instanceof DataFolderInUseError) return fail(error.message);
      return fail(`${String((error as Error).message ?? error)}\n${embeddedLog.join('\n')}`);
    }
    config = zeroConfig.config;
  }

  let gateway: Gateway;
  let devToken: string | undefined;
  try {
    devToken = zeroConfig === undefined ? undefined : await mintDevToken(config, zeroConfig);
    // The playground is pre-filled only on the embedded default's own dev secret, never with a
    // token of auth the operator configured.
    gateway = await buildApp(config, { playgroundToken: zeroConfig?.usesDevSecret === true ? devToken : undefined });
    await gateway.app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await zeroConfig?.embedded.stop();
    return fail(`The gateway did not start: ${(error as Error).message}`);
  }

  handleSignals(gateway, zeroConfig?.embedded);
  printBanner(gateway, config, zeroConfig, devToken);
}

/** The printed token of the embedded default: the dev tenant, both scopes, 24 hours. */
async function mintDevToken(config: Config, zeroConfig: ZeroConfigStart): Promise<string | undefined> {
  if (config.auth.jwtSecret === undefined) return undefined;
  return mintToken({
    secret: config.auth.jwtSecret,
    tenantId: zeroConfig.devState.tenantId,
    tenantClaim: config.auth.tenantClaim,
    scopes: [config.auth.scopeRead, config.auth.scopeWrite],
    ttlSeconds: DEV_TOKEN_TTL_SECONDS,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
  });
}

/** Signals that stop the gateway: a container runtime's SIGTERM, Ctrl-C, a closed terminal. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * One orderly stop, whatever signals come: npm forwards the SIGTERM it is sent, a terminal signals
 * the whole process group, orchestrators repeat theirs. A repeated signal must not cut short the
 * drain the first one started, so every listener stays installed and later signals only say so.
 */
function handleSignals(gateway: Gateway, embedded: EmbeddedDatabase | undefined): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      gateway.app.log.info({ signal }, 'already shutting down; requests in flight are still finishing');
      return;
    }
    stopping = true;
    gateway.app.log.info({ signal }, 'shutting down');
    let exitCode = 0;
    try {
      await gateway.close();
    } catch (error) {
      gateway.app.log.error({ err: error }, 'error while closing the gateway');
      exitCode = 1;
    }
    await embedded?.stop();
    process.exit(exitCode);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, (received) => void stop(received));
}

function printBanner(gateway: Gateway, config: Config, zeroConfig: ZeroConfigStart | undefined, token: string | undefined): void {
  const address = gateway.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `http://${host}:${port}`;
  const lines = [
    '',
    'Hubs gateway is up',
    `  GraphQL:   ${base}/graphql (open it in a browser for the playground)`,
    `  REST:      ${base}/api/v1/hubs`,
    `  API docs:  ${base}/api/docs`,
    `  Health:    ${base}/health/ready`,
  ];
  if (zeroConfig !== undefined) {
    lines.push(`  Database:  embedded PostgreSQL, data in .data/ (psql ${zeroConfig.config.databaseUrl})`);
    if (token !== undefined) {
      lines.push(
        `  Tenant:    ${zeroConfig.devState.tenantId} (dev)`,
        `  Token:     valid 24 h, scopes "${config.auth.scopeRead} ${config.auth.scopeWrite}" (npm run token for another)`,
        '',
        `export TOKEN=${token}`,
        '',
        'Try it:',
        `  curl -s ${base}/graphql -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`,
        `    -d '{"query":"mutation { createHub(input: {name: \\"My hub\\", description: \\"First\\"}) { hubId name status } }"}'`,
        `  curl -s ${base}/graphql -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`,
        `    -d '{"query":"{ hubs { total results { hubId name } } }"}'`,
      );
    }
  }
  console.log(lines.join('\n') + '\n');
}

function fail(message: string): void {
  console.error(message);
  process.exitCode = 1;
}

void main();
