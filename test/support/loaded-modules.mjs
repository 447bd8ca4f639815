/*
 * Preloaded with NODE_OPTIONS=--import into a gateway started by a test: when the process exits,
 * the paths of every CommonJS module it loaded are written to HUBS_TEST_LOADED_MODULES, one a line,
 * so the test can tell which packages were never required.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';

// Every require function shares the one module cache.
const cache = createRequire(import.meta.url).cache;
const target = process.env.HUBS_TEST_LOADED_MODULES;
if (target) process.on('exit', () => writeFileSync(target, Object.keys(cache).join('\n')));
