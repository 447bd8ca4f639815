import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Local-only secrets of the zero-configuration start, kept under `.data/` so that tokens printed
 * yesterday still work today. Never used when `DATABASE_URL` is set.
 */
export interface DevState {
  /** HS256 secret for dev tokens (43 base64url characters = 32 bytes of entropy). */
  readonly jwtSecret: string;
  readonly tenantId: string;
  readonly databasePassword: string;
}

export const DEV_STATE_FILE = 'dev.json';

export async function loadOrCreateDevState(dataDir: string): Promise<DevState> {
  const file = join(dataDir, DEV_STATE_FILE);
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as DevState;
  const state: DevState = {
    jwtSecret: randomBytes(32).toString('base64url'),
    tenantId: randomUUID(),
    databasePassword: randomBytes(18).toString('base64url'),
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return state;
}

/** Reads the dev state if a zero-configuration start has made one. */
export async function readDevState(dataDir: string): Promise<DevState | undefined> {
  const file = join(dataDir, DEV_STATE_FILE);
  return existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as DevState) : undefined;
}
