// Builds the gateway (tsc -p tsconfig.build.json) only when a source is newer than the last build,
// so that `npm start` and `npm run token` start at once when nothing changed (a no-op tsc run
// still takes seconds). Prints nothing on stdout: `TOKEN=$(npm run -s token)` must stay clean.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// tsc leaves its own build info untouched when a file was only touched: the stamp is ours.
const stamp = join(root, 'dist', '.built');
const inputs = ['src', 'migrations', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newestChange(path) {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats === undefined) return 0;
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestChange(join(path, entry))), stats.mtimeMs);
}

const built = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const changed = Math.max(...inputs.map((input) => newestChange(join(root, input))));
if (changed > built) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const startedAt = new Date();
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) process.exit(result.status ?? 1);
  // Stamped with the build's start: a file saved during the build makes the next run build again.
  writeFileSync(stamp, `${startedAt.toISOString()}\n`);
  utimesSync(stamp, startedAt, startedAt);
}
