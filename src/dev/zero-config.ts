import { resolve } from 'node:path';
import type { Config } from '../config/config';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../db/embedded-postgres';
import { loadOrCreateDevState, type DevState } from './dev-state';
import { lockDataFolder } from './instance-lock';

/** Where the zero-configuration start keeps its database and dev secrets. */
export const DATA_DIR = resolve('.data');

export interface ZeroConfigStart {
  readonly config: Config;
  readonly embedded: EmbeddedDatabase;
  readonly devState: DevState;
  /** True when tokens are checked with the generated dev secret (no auth was configured). */
  readonly usesDevSecret: boolean;
}

/**
 * No `DATABASE_URL`: start the embedded PostgreSQL under `.data/` and, unless auth is configured,
 * use the dev secret kept there. `loadConfig` has already refused `DATABASE_URL` without auth.
 */
export async function startZeroConfig(config: Config, onLog?: (line: string) => void): Promise<ZeroConfigStart> {
  const devState = await loadOrCreateDevState(DATA_DIR);
  // Before anything touches the database: a gateway already running on it must be left alone.
  const lock = await lockDataFolder(DATA_DIR);
  let started: EmbeddedDatabase;
  try {
    started = await startEmbeddedDatabase({ dataDir: DATA_DIR, password: devState.databasePassword, onLog });
  } catch (error) {
    await lock.release();
    throw error;
  }
  const embedded: EmbeddedDatabase = {
    ...started,
    async stop() {
      try {
        await started.stop();
      } finally {
        await lock.release();
      }
    },
  };
  const usesDevSecret = config.auth.jwtSecret === undefined && config.auth.jwksUrl === undefined;
  return {
    config: {
      ...config,
      databaseUrl: embedded.url,
      auth: usesDevSecret ? { ...config.auth, jwtSecret: devState.jwtSecret } : config.auth,
    },
    embedded,
    devState,
    usesDevSecret,
  };
}
