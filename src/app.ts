import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../ormconfig';
import { createTokenVerifier } from './auth/token-verifier';
import type { Config } from './config/config';
import { runMigrations } from './db/migrations';
import { registerGraphQL } from './graphql/graphql.routes';
import { registerHealthRoutes } from './health/health.routes';
import { registerErrorHandling } from './http/error-handler';
import { registerRest } from './http/rest';
import { HubRepository } from './hubs/hub.repository';
import { HubService } from './hubs/hub.service';

/** A built gateway: the Fastify app (for `listen` or `inject`) and how to stop everything it holds. */
export interface Gateway {
  readonly app: FastifyInstance;
  readonly dataSource: DataSource;
  /** Stops taking requests, lets those in flight finish, then closes the database pool. */
  close(): Promise<void>;
}

/** Bodies above 1 MiB are refused with 413 (CONTRACT.md section 3). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** A caller's own `x-request-id` is kept when it is a sane token; anything else gets a fresh UUID. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface BuildOptions {
  /** Where JSON log lines go (stdout by default); tests read them from here. */
  readonly logStream?: { write(line: string): void };
}

/**
 * Wires the whole gateway from its configuration. `config.databaseUrl` and one token key must be
 * resolved (`src/main.ts` does it for the embedded default).
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<Gateway> {
  if (config.databaseUrl === undefined) throw new Error('buildApp needs config.databaseUrl');

  const dataSource = createDataSource({ url: config.databaseUrl, poolSize: config.databasePoolSize });
  await dataSource.initialize();
  try {
    if (config.migrationsRun) await runMigrations(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }

  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
    },
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true },
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onClose', async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
  });
  registerErrorHandling(app);

  const hubService = new HubService(new HubRepository(dataSource));
  const verifier = createTokenVerifier(config.auth);

  registerHealthRoutes(app, dataSource);
  await registerRest(app, config, { hubService, verifier });
  const stopGraphQL = await registerGraphQL(app, { config, hubService, verifier });
  await app.ready();

  return { app, dataSource, close: stopGraphQL };
}
