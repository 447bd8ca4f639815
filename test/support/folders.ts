import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A working folder of the test's own (the embedded default keeps `.data/` in the working folder),
 * created before the tests of the calling `describe` and removed after them. PostgreSQL runs as
 * the `postgres` user when tests run as root, so the folder is readable by others.
 */
export function temporaryFolderPerSuite(prefix: string): { readonly path: string } {
  const folder = { path: '' };
  beforeAll(async () => {
    folder.path = await mkdtemp(join(tmpdir(), `${prefix}-`));
    await chmod(folder.path, 0o755);
  });
  afterAll(() => rm(folder.path, { recursive: true, force: true }));
  return folder;
}
