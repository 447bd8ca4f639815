import { existsSync, readFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Another gateway runs on this data folder; its message says which and what to do. */
export class DataFolderInUseError extends Error {
  constructor(
    readonly folder: string,
    readonly pid: number,
  ) {
    super(
      `Another gateway (pid ${pid}) is already running on the embedded database in ${folder}. ` +
        'It was left untouched: stop it first, or set DATABASE_URL to use another database.',
    );
    this.name = 'DataFolderInUseError';
  }
}

/** Held by the one gateway that runs on a data folder; `release` gives it up. */
export interface InstanceLock {
  release(): Promise<void>;
}

const LOCK_FILE = 'gateway.pid';

/**
 * Claims the data folder for this process, so that a second `npm start` in the same folder stops
 * with a clear message instead of stopping the first one's database (which it would otherwise take
 * for one left behind by a killed gateway). A lock whose process is gone is taken over.
 */
export async function lockDataFolder(folder: string): Promise<InstanceLock> {
  const file = join(folder, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return {
        async release() {
          if ((await readFile(file, 'utf8').catch(() => '')).trim() === String(process.pid)) await unlink(file).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isGatewayProcess(owner)) throw new DataFolderInUseError(folder, owner);
    // Left by a gateway that is gone (killed, crashed): take it over.
    await unlink(file).catch(() => undefined);
  }
  throw new Error(`Could not claim ${file}: another gateway keeps starting on this folder.`);
}

/** The process runs, and (where the system says) it is a Node.js process, not a recycled pid. */
function isGatewayProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const commandLine = `/proc/${pid}/cmdline`;
  if (!existsSync(commandLine)) return true;
  try {
    return /node/.test(readFileSync(commandLine, 'utf8'));
  } catch {
    return true;
  }
}
