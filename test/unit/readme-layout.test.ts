import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/common/paths';

/**
 * The README's layout and "where to change what" sections name real files, and the layout names
 * every folder of src/: a renamed file or a new folder shows up here before a newcomer looks for it.
 */
const ROOT = projectRoot();
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = (title: string): string => {
  const start = readme.indexOf(`## ${title}`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
};

function filesBelow(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesBelow(join(folder, entry.name)) : [join(folder, entry.name)],
  );
}
const sourceNames = new Set(filesBelow(join(ROOT, 'src')).map((path) => path.slice(path.lastIndexOf('/') + 1)));

test('every path of the layout exists', () => {
  const layout = section('How the code is laid out');
  const block = layout.slice(layout.indexOf('```'), layout.lastIndexOf('```'));
  // Folders and files with a path anywhere; bare file names only at a line's start (top-level files).
  const paths = [...block.matchAll(/(?:^|\s)((?:[\w.-]+\/)+[\w.-]*)(?=\s)|^([\w-]+\.\w+)(?=\s)/gm)].map((match) => (match[1] ?? match[2])!);
  expect(paths.length).toBeGreaterThan(20);
  expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
});

test('the layout names every folder of src/', () => {
  const layout = section('How the code is laid out');
  const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
  expect(folders.map((folder) => `src/${folder.name}/`).filter((folder) => !layout.includes(folder))).toEqual([]);
});

test('every file "where to change what" names exists', () => {
  const table = section('Where to change what');
  const named = [...table.matchAll(/`([^`\s]+\.(?:ts|mjs))`/g)].map((match) => match[1]!);
  expect(named.length).toBeGreaterThan(10);
  const missing = named.filter((name) => !(existsSync(join(ROOT, name)) || (!name.includes('/') && sourceNames.has(name))));
  expect(missing).toEqual([]);
});

test('one row says where to add a field on a hub', () => {
  expect(section('Where to change what').split('\n').filter((line) => line.startsWith('| a field on a hub |'))).toHaveLength(1);
});
