import 'reflect-metadata';
import { buildApp, type Gateway } from './app';
import { ConfigError, loadConfig, type Config } from './config/config';
import { banner, LocalStartError, startLocally, type LocalStart } from './dev/local-start';

/**
 * `npm start`: load the configuration (and, with no database configured, start the local one),
 * build the gateway, listen, and stop in order on a signal.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) return fail(`Configuration error: ${error.message}`);
    throw error;
  }

  let local: LocalStart | undefined;
  if (config.databaseUrl === undefined) {
    console.log('No DATABASE_URL: starting the embedded PostgreSQL (data in .data/) ...');
    try {
      local = await startLocally(config);
    } catch (error) {
      if (error instanceof LocalStartError) return fail(error.message);
      throw error;
    }
    config = local.config;
  }

  let gateway: Gateway;
  try {
    gateway = await buildApp(config, { playgroundToken: local?.playgroundToken });
    await gateway.app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await local?.stop();
    return fail(`The gateway did not start: ${(error as Error).message}`);
  }

  handleSignals(gateway, local);
  console.log(banner(baseUrl(gateway, config), config, local));
}

/** Signals that stop the gateway: a container runtime's SIGTERM, Ctrl-C, a closed terminal. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * One orderly stop, whatever signals come: npm forwards the SIGTERM it is sent, a terminal signals
 * the whole process group, orchestrators repeat theirs. A repeated signal must not cut short the
 * drain the first one started, so every listener stays installed and later signals only say so.
 */
function handleSignals(gateway: Gateway, local: LocalStart | undefined): void {
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
    await local?.stop();
    process.exit(exitCode);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, (received) => void stop(received));
}

function baseUrl(gateway: Gateway, config: Config): string {
  const address = gateway.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return `http://${host}:${port}`;
}

function fail(message: string): void {
  console.error(message);
  process.exitCode = 1;
}

void main();
