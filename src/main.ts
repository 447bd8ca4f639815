import 'reflect-metadata';
import type * as AppModule from './app';
import type { Gateway } from './app';
import { tuneHeap } from './common/heap';
import { ConfigError, loadConfig, type Config } from './config/config';
import type * as LocalStartModule from './dev/local-start';
import type { LocalStart } from './dev/local-start';
import type * as TracingModule from './tracing/tracing';
import type { Tracing } from './tracing/tracing';

/** How long a stop waits for the last spans to be exported: a collector that does not answer must not hold the exit. */
const TRACING_SHUTDOWN_MS = 2000;

/**
 * `npm start`: load the configuration (and, with no database configured, start the local one),
 * build the gateway, listen, and stop in order on a signal.
 */
async function main(): Promise<void> {
  tuneHeap();
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) return fail(`Configuration error: ${error.message}`);
    throw error;
  }

  // Before anything that loads pg or Fastify: instrumentation patches them as they are required.
  // Without an endpoint, no module of the OpenTelemetry SDK is ever loaded. (require, not import():
  // this file is CommonJS, and import() would load the app as an ES module, past those patches.)
  /* eslint-disable @typescript-eslint/no-require-imports */
  const tracing = config.tracing === undefined ? undefined : (require('./tracing/tracing') as typeof TracingModule).startTracing(config.tracing);
  const { banner, LocalStartError, startLocally } = require('./dev/local-start') as typeof LocalStartModule;
  const { buildApp } = require('./app') as typeof AppModule;
  /* eslint-enable @typescript-eslint/no-require-imports */

  let local: LocalStart | undefined;
  if (config.databaseUrl === undefined) {
    console.log('No DATABASE_URL: starting the embedded PostgreSQL (data in .data/) ...');
    try {
      local = await startLocally(config);
    } catch (error) {
      if (error instanceof LocalStartError) return fail(error.message, tracing);
      throw error;
    }
    config = local.config;
  }

  let gateway: Gateway;
  try {
    gateway = await buildApp(config, { playgroundToken: local?.playgroundToken, tracing: tracing?.hooks });
    await gateway.app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await local?.stop();
    return fail(`The gateway did not start: ${(error as Error).message}`, tracing);
  }

  handleSignals(gateway, local, tracing);
  console.log(banner(baseUrl(gateway, config), config, local));
}

/** Signals that stop the gateway: a container runtime's SIGTERM, Ctrl-C, a closed terminal. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * One orderly stop, whatever signals come: npm forwards the SIGTERM it is sent, a terminal signals
 * the whole process group, orchestrators repeat theirs. A repeated signal must not cut short the
 * drain the first one started, so every listener stays installed and later signals only say so.
 */
function handleSignals(gateway: Gateway, local: LocalStart | undefined, tracing: Tracing | undefined): void {
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
    // After the app closed, so the spans of the last requests are in the final export.
    await tracing?.shutdown(TRACING_SHUTDOWN_MS);
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

/** Tracing's exporter would otherwise keep the process alive after a failed start. */
async function fail(message: string, tracing?: Tracing): Promise<void> {
  console.error(message);
  process.exitCode = 1;
  await tracing?.shutdown(TRACING_SHUTDOWN_MS);
}

void main();
