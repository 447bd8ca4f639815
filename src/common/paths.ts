import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder of the gateway's package.json, from `src/` under ts-jest or from `dist/src/` once built. */
export function projectRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${from}`);
    dir = parent;
  }
  return dir;
}
