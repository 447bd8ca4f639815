import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/common/free-port';
import { ensureDebianPackage, stopChild } from './processes';
import { postgresUserIds } from './own-postgres';

const PGBOUNCER = '/usr/sbin/pgbouncer';

/** A PgBouncer of the test's own in transaction mode, in front of `databaseUrl`: a child process with its own config and port. */
export interface OwnPgBouncer {
  /** The same database as `databaseUrl`, through the pooler. */
  readonly url: string;
  /** PgBouncer's own log, for failure messages. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

export async function startPgBouncer(databaseUrl: string, options: { poolSize?: number } = {}): Promise<OwnPgBouncer> {
  ensureDebianPackage(PGBOUNCER, 'pgbouncer');
  const target = new URL(databaseUrl);
  const database = decodeURIComponent(target.pathname.slice(1));
  const port = await freePort();
  const folder = await mkdtemp(join(tmpdir(), 'hubs-pgbouncer-'));
  const logFile = join(folder, 'pgbouncer.log');
  const server = [
    `host=${target.hostname}`,
    `port=${target.port || 5432}`,
    `dbname=${database}`,
    `user=${decodeURIComponent(target.username || 'postgres')}`,
    ...(target.password ? [`password=${decodeURIComponent(target.password)}`] : []),
  ].join(' ');
  await writeFile(
    join(folder, 'pgbouncer.ini'),
    [
      '[databases]',
      `${database} = ${server}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir = ${folder}`,
      'auth_type = any',
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 10}`,
      'max_client_conn = 500',
      `logfile = ${logFile}`,
      // The server's sessions are shared: a session setting one client makes would reach the next.
      'server_reset_query =',
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root.
  const ids = process.getuid?.() === 0 ? await postgresUserIds() : undefined;
  if (ids !== undefined) {
    await chmod(folder, 0o755);
    await chown(folder, ids.uid, ids.gid);
  }
  const child: ChildProcess = spawn(PGBOUNCER, [join(folder, 'pgbouncer.ini')], { stdio: 'ignore', ...(ids ?? {}) });
  const url = `postgres://${encodeURIComponent(target.username || 'postgres')}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const log = () => readFile(logFile, 'utf8').catch(() => '');
  for (let attempt = 0; ; attempt++) {
    const probe = new Client({ connectionString: url });
    try {
      await probe.connect();
      await probe.query('SELECT 1');
      break;
    } catch (error) {
      if (attempt >= 50 || child.exitCode !== null) throw new Error(`PgBouncer did not start: ${(error as Error).message}\n${await log()}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await probe.end().catch(() => undefined);
    }
  }
  return {
    url,
    log,
    stop: async () => {
      await stopChild(child, 'SIGINT');
      await rm(folder, { recursive: true, force: true });
    },
  };
}
