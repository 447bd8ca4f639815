// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`, written to bench/profiles/):
// the functions with the most self time, and self time per package.
//   node bench/profile-top.mjs bench/profiles/gateway-round1.cpuprofile [rows]
import { readFileSync } from 'node:fs';
import process from 'node:process';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/profile-top.mjs FILE.cpuprofile [rows]\n');
  process.exit(2);
}
const rows = Number(process.argv[3] ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8'));

// Self time of a node = its share of samples, weighted by the time between samples.
const selfMicros = new Map();
const deltas = profile.timeDeltas ?? [];
profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0)));
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);

const byFunction = new Map();
const byPackage = new Map();
for (const node of profile.nodes) {
  const micros = selfMicros.get(node.id) ?? 0;
  if (micros === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '');
  const key = `${functionName || '(anonymous)'}  ${where ? `${where}:${lineNumber + 1}` : ''}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ?? (where.startsWith('node:') ? 'node internals' : where.startsWith('dist/') ? 'gateway (dist/)' : where === '' ? `(${functionName})` : 'other');
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
}

const print = (title, map, n) => {
  process.stdout.write(`\n${title}\n`);
  for (const [key, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    process.stdout.write(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}\n`);
  }
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
print('Self time by package', byPackage, 20);
print('Self time by function', byFunction, rows);
