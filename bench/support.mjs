// What every part of the benchmark shares: where things are, output, failures, cleanup, pinning,
// and the gateway's own built modules (dist/), so that the bench reuses the project's helpers
// rather than keeping copies of them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export const BENCH = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(BENCH, '..');
export const DIST = join(ROOT, 'dist');
/** The peer lives in a package of its own: PostGraphile 5 declares Node 22 and stays out of the gateway's npm ci. */
export const PEER = join(BENCH, 'peer');

/** The six fields of a hub both REST and every server of the bench answer. */
export const HUB_KEYS = ['hubId', 'tenantId', 'name', 'description', 'closeDormantConversation', 'statusId'];
export const HUB_FIELDS = HUB_KEYS.join(' ');

// Output (no console: the repo's lint forbids it outside entry points)
export const say = (line = '') => process.stdout.write(`${line}\n`);
export const warn = (line) => process.stderr.write(`warning: ${line}\n`);

/** A failure the bench explains itself: printed without a stack, after cleaning up. */
export class BenchError extends Error {}
export function fail(message) {
  throw new BenchError(message);
}

const require = createRequire(import.meta.url);
/** The path of a file of the built gateway; fails with the way out when the build is missing. */
export function distFile(file) {
  const path = join(DIST, file);
  if (!existsSync(path)) fail(`dist/${file} is missing: run \`npm run build\` first (npm run bench does).`);
  return path;
}
/** A module of the built gateway, e.g. `distModule('src/common/free-port.js')`. */
export const distModule = (file) => require(distFile(file));

// Cleanup on every exit path: steps run in reverse order of registration.
const cleanups = [];
let cleaningUp = false;
/** Registers a cleanup step; the answer unregisters it (for a step already done). */
export function onCleanup(step) {
  cleanups.push(step);
  return () => {
    const index = cleanups.indexOf(step);
    if (index >= 0) cleanups.splice(index, 1);
  };
}
export async function cleanup() {
  if (cleaningUp) return;
  cleaningUp = true;
  for (const step of cleanups.reverse()) await step().catch((error) => warn(`cleanup: ${error.message}`));
}

// Pinning: servers on core 0, the load generator on core 1, when taskset can do it.
export const cores = os.availableParallelism?.() ?? os.cpus().length;
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
export const PINNED = hasTaskset && cores >= 2;
/** Says once why the run is not pinned, when it is not. */
export function warnIfUnpinned() {
  if (!hasTaskset) warn('taskset (util-linux) not found or not usable: servers and load generator run unpinned, numbers are less comparable.');
  else if (cores < 2) warn(`only ${cores} core: servers and load generator run unpinned on it.`);
}
/** The command that runs `argv` on one core (or unpinned when taskset is not usable). */
export const onCore = (core, argv) => (PINNED ? ['taskset', ['-c', String(core), ...argv]] : [argv[0], argv.slice(1)]);
