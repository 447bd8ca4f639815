// The benchmark (issue #5): the gateway against the physical limit (bench/limit-server.mjs) and a
// peer (PostGraphile 5, bench/peer/peer-server.mjs, installed into bench/peer/ on first use), on
// one PostgreSQL, one server at a time pinned to core 0 while the load generator (bench/load.mjs,
// autocannon) runs pinned to core 1.
//
//   npm run bench                 # the full run (about 10-15 minutes), table + bench/results.json
//   npm run bench -- --smoke      # a few seconds per server: proves the harness works, no speed claims
//
// Options: --rounds N  --duration S (whole seconds)  --warmup S  --connections N  --no-scale
//          --only gateway,limit,peer,gateway-quiet,gateway-deep,gateway-large,gateway-traced,
//          gateway-traced-10,live (a subset of the servers; live: the subscriptions stage;
//          gateway-traced*: tracing at 100 % and 10 %, against gateway)
//          --cpu-prof (each server writes bench/profiles/<server>-round<N>.cpuprofile; summarise one
//          with `node bench/profile-top.mjs FILE`)
//          --live-sockets N (sockets of the live stage, 10 subscriptions each; default 100)
//          --shared-buffers SIZE (the embedded PostgreSQL's shared_buffers; default 512MB, which holds the
//          1,000,000-hub database as a deployment of that size would; 128MB is PostgreSQL's own default)
//          --linger S (after a server's scenarios, S seconds with no load, then its RSS: does it come back down?)
//          --kinds rest-get,gql-hub,... (only these scenarios of the servers chosen; for profiles)
//          --out FILE (default bench/results.json; the smoke writes bench/results-smoke.json)
// DATABASE_URL: use that PostgreSQL (the bench creates and drops databases of its own on it);
// unset: an embedded PostgreSQL in a temporary folder (fsync off), removed at the end.
// Needs `npm run build` first (`npm run bench` does it): it runs dist/src/main.js.
//
// The parts: support.mjs (paths, output, cleanup, pinning), data.mjs (PostgreSQL, datasets,
// tokens), servers.mjs (what is measured and how each server starts), checks.mjs (answers are
// right before load), measure.mjs (load runs, CPU and memory), live.mjs (subscriptions: delivery
// delays, memory per socket), report.mjs (tables, results.json).
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkScenario } from './checks.mjs';
import { createDatabase, seed, seedDeepTenant, startDatabase, tenantsOf, withClient, withTokens } from './data.mjs';
import { measureLive } from './live.mjs';
import { runLoad, startLoadGenerator } from './measure.mjs';
import { failedRequests, fmt, report } from './report.mjs';
import { benchServers, rssMb, startOtlpSink, startServer, stopServer } from './servers.mjs';
import { BENCH, BenchError, cleanup, distFile, fail, PINNED, say, warn, warnIfUnpinned } from './support.mjs';

const startedAt = Date.now();
const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------
// Options

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback, min = 1) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value) || value < min) throw new BenchError(`${name} needs a number >= ${min}`);
  return value;
};
const SMOKE = flag('--smoke');
const onlyIndex = args.indexOf('--only');
const ONLY = onlyIndex >= 0 ? new Set(String(args[onlyIndex + 1] ?? '').split(',')) : null;
const kindsIndex = args.indexOf('--kinds');
const KINDS = kindsIndex >= 0 ? new Set(String(args[kindsIndex + 1] ?? '').split(',')) : null;
const sharedBuffersIndex = args.indexOf('--shared-buffers');
const SHARED_BUFFERS = sharedBuffersIndex >= 0 ? String(args[sharedBuffersIndex + 1] ?? '') : '512MB';
if (!/^[0-9]+(kB|MB|GB)$/.test(SHARED_BUFFERS)) throw new BenchError('--shared-buffers needs a size such as 512MB');
const outIndex = args.indexOf('--out');
const OUT = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(BENCH, SMOKE ? 'results-smoke.json' : 'results.json');

const CONFIG = {
  mode: SMOKE ? 'smoke' : 'full',
  rounds: option('--rounds', SMOKE ? 1 : 3),
  // Whole seconds: autocannon counts its duration in ticks of one second.
  durationSeconds: Math.ceil(option('--duration', SMOKE ? 1 : 10)),
  warmupSeconds: Math.ceil(option('--warmup', SMOKE ? 0 : 2, 0)),
  connections: option('--connections', 32),
  // Every tenant has the same number of hubs in both datasets: only the table around it grows.
  hubsPerTenant: 100,
  smallTenants: SMOKE ? 20 : 100,
  largeTenants: SMOKE ? 500 : 10_000,
  /** Tenants of the large dataset that the reads go to (spread evenly over it). */
  largeSample: SMOKE ? 100 : 1000,
  /** Tenants that creates go to, with no hubs of their own: the read tenants keep their totals. */
  writeTenants: SMOKE ? 50 : 1000,
  scale: !flag('--no-scale'),
  /** The connection scenarios: one tenant this large, paged at this depth (issue 11). */
  /** Live changes (issue 12): sockets x subscriptions of one tenant, and a writer of one hub. */
  live: { sockets: option('--live-sockets', SMOKE ? 10 : 100), perSocket: 10, writesPerSecond: 50, seconds: SMOKE ? 2 : 10 },
  deepHubs: SMOKE ? 20_000 : 200_000,
  deepDepth: SMOKE ? 10_000 : 100_000,
  cpuProf: flag('--cpu-prof'),
  lingerSeconds: option('--linger', 0, 0),
  poolSize: 10,
};

const GOALS = {
  // Issue #14's targets.
  restGetVsLimit: 0.9,
  restPageVsLimit: 0.8,
  graphqlVsLimit: 0.6,
  graphqlVsPeer: 2,
  createVsLimit: 0.8,
  scaleP50Ratio: 1.2,
  keysetDepthP50Ratio: 1.2,
  liveP99Ms: 100,
  liveKbPerSocket: 50,
  gatewayRssMb: 150,
};

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping ...\n`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Main

const range = (n, from = 1, step = 1) => Array.from({ length: n }, (_, i) => from + i * step);

/** The datasets, seeded, and the tenants each kind of scenario goes to. */
async function prepareData(adminUrl, suffix) {
  const { hubsPerTenant, smallTenants, largeTenants } = CONFIG;
  const small = { label: `${(smallTenants * hubsPerTenant).toLocaleString('en-US')} hubs`, tenants: smallTenants };
  say(`Seeding (${elapsed()}) ...`);
  small.url = await createDatabase(adminUrl, `bench_small_${suffix}`);
  await seed(small.url, small.label, smallTenants, hubsPerTenant);
  let large = null;
  if (CONFIG.scale) {
    large = { label: `${(largeTenants * hubsPerTenant).toLocaleString('en-US')} hubs`, tenants: largeTenants };
    large.url = await createDatabase(adminUrl, `bench_large_${suffix}`);
    await seed(large.url, large.label, largeTenants, hubsPerTenant);
  }
  const readers = await withTokens(await tenantsOf(small.url, range(smallTenants)));
  const step = Math.max(1, Math.floor(largeTenants / CONFIG.largeSample));
  const largeReaders = large === null ? [] : await withTokens(await tenantsOf(large.url, range(Math.min(CONFIG.largeSample, largeTenants), 1, step)));
  if (large !== null) large.readTenants = largeReaders.length;
  const writers = await withTokens(range(CONFIG.writeTenants).map(() => ({ tenantId: randomUUID(), hubIds: [], total: 0 })));
  // Creates without announcements, for the cost of pg_notify: the same schema, with hubs_announce
  // doing nothing.
  const quietUrl = await createDatabase(adminUrl, `bench_quiet_${suffix}`);
  await withClient(quietUrl, (client) =>
    client.query(`CREATE OR REPLACE FUNCTION hubs_announce(kind text, tenant uuid, hub json) RETURNS void LANGUAGE sql AS 'SELECT NULL::void'`),
  );
  const deep = { label: `1 tenant of ${CONFIG.deepHubs.toLocaleString('en-US')} hubs` };
  deep.url = await createDatabase(adminUrl, `bench_deep_${suffix}`);
  const [deepReader] = await withTokens([await seedDeepTenant(deep.url, CONFIG.deepHubs, CONFIG.deepDepth)]);
  for (const reader of [...readers, ...largeReaders]) {
    if (reader.total !== hubsPerTenant) fail(`seed check: tenant ${reader.tenantId} has ${reader.total} hubs`);
  }
  return { small, large, deep, quietUrl, readers, largeReaders, deepReader, writers };
}

function selectedServers(servers) {
  if (ONLY === null) return servers;
  // `live` names the live-changes stage, which runs a gateway of its own.
  const unknown = [...ONLY].filter((id) => id !== 'live' && !servers.some((server) => server.id === id));
  if (unknown.length > 0) fail(`--only: unknown server(s) ${unknown.join(', ')}; known: ${servers.map((server) => server.id).join(', ')}`);
  return servers.filter((server) => ONLY.has(server.id));
}

function sayResult(scenario, result) {
  const failed = failedRequests(result);
  say(
    `  ${scenario.label.padEnd(18)} ${fmt.rps(result.rps).padStart(7)} req/s  p50 ${fmt.ms(result.p50).padStart(6)} ms  p99 ${fmt.ms(result.p99).padStart(6)} ms  RSS ${fmt.mb(result.rssMb).padStart(4)} MB` +
      (result.cpu ? `  CPU % server ${result.cpu.server} load ${result.cpu.loader} pg ${result.cpu.postgres ?? '?'} other ${result.cpu.other ?? '?'}` : '') +
      (failed > 0 ? `  FAILED ${failed} (${result.firstProblem})` : ''),
  );
}

/** Every scenario of one server in one round: checked first, then measured. */
async function measureServer(server, round, { loader, pidFile, suffix, data, runs }) {
  const starting = Date.now();
  const running = await startServer(server, round, CONFIG);
  say(`Round ${round + 1}/${CONFIG.rounds}: ${server.label}, pid ${running.pid}, up in ${((Date.now() - starting) / 1000).toFixed(1)} s (${elapsed()})`);
  try {
    for (const scenario of server.scenarios) {
      if (KINDS !== null && !KINDS.has(scenario.kind)) continue;
      try {
        await checkScenario(running, server, scenario, data);
      } catch (error) {
        fail(`check failed: ${error.message}\n${running.output().slice(-3000)}`);
      }
      const result = await runLoad(loader, running, scenario, `${server.id}-${scenario.kind}-r${round + 1}-${suffix}`, pidFile, CONFIG);
      runs.push({ round: round + 1, serverId: server.id, server: server.label, kind: scenario.kind, scenario: scenario.label, connections: scenario.connections ?? CONFIG.connections, ...result });
      sayResult(scenario, result);
      if (scenario.kind.endsWith('create')) {
        // Back to the seeded state: the next server and round see the same table.
        await withClient(server.databaseUrl, async (client) => {
          await client.query('DELETE FROM hubs WHERE tenant_id = ANY($1::uuid[])', [data.writers.map((writer) => writer.tenantId)]);
          await client.query('VACUUM ANALYZE hubs');
        });
      }
    }
    if (CONFIG.lingerSeconds > 0) {
      const underLoad = Math.max(...runs.filter((run) => run.serverId === server.id && run.round === round + 1).map((run) => run.rssMb));
      await sleep(CONFIG.lingerSeconds * 1000);
      say(`  RSS ${fmt.mb(rssMb(running.pid))} MB after ${CONFIG.lingerSeconds} s without load (at most ${fmt.mb(underLoad)} MB under load)`);
    }
  } finally {
    await stopServer(running);
    running.removeCleanup();
  }
  if (running.child.exitCode !== 0 && running.child.signalCode === null) {
    warn(`${server.label} exited with ${running.child.exitCode}:\n${running.output().slice(-2000)}`);
  }
}

async function main() {
  // Only looked for: loading src/main.js would start a gateway inside the bench, on port 8080, that
  // keeps the bench from ever exiting.
  for (const file of ['src/main.js', 'src/db/migrations.js', 'src/auth/token-issuer.js']) distFile(file);
  warnIfUnpinned();
  const loadAtStart = os.loadavg();
  say(`Hubs gateway benchmark (${CONFIG.mode}): ${CONFIG.rounds} round(s), ${CONFIG.durationSeconds} s per scenario after ${CONFIG.warmupSeconds} s of warm-up, ${CONFIG.connections} connections`);
  say(`Pinning: ${PINNED ? 'servers on core 0 (taskset -c 0), load generator on core 1 (taskset -c 1); PostgreSQL unpinned' : 'none'}`);
  if (loadAtStart[0] > 0.5) warn(`load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}: other work is running, numbers will be noisy.`);

  const { adminUrl, embedded, pidFile } = await startDatabase({ sharedBuffers: SHARED_BUFFERS });
  const pgVersion = await withClient(adminUrl, async (client) => (await client.query('SHOW server_version')).rows[0].server_version);
  const suffix = randomBytes(3).toString('hex');
  const { small, large, deep, quietUrl, readers, largeReaders, deepReader, writers } = await prepareData(adminUrl, suffix);
  // Seeded values of hub 1 of any tenant (see seed()), to compare with what each server answers.
  const data = { writers, hubRow: () => ({ name: 'Hub 1', closeDormantConversation: 1, statusId: 2000 }) };
  const otlpSink = await startOtlpSink();
  const servers = selectedServers(
    benchServers({ smallUrl: small.url, largeUrl: large?.url, largeLabel: large?.label, deepUrl: deep.url, deepLabel: deep.label, quietUrl, otlpSinkUrl: otlpSink.url, readers, largeReaders, deepReader, writers }),
  );

  const loader = startLoadGenerator();
  const runs = [];
  const loadStarted = Date.now();
  for (let round = 0; round < CONFIG.rounds; round++) {
    // Round-robin, starting one server further each round, so drift and order touch all alike.
    const order = servers.map((_, i) => servers[(i + round) % servers.length]);
    for (const server of order) await measureServer(server, round, { loader, pidFile, suffix, data, runs });
  }

  // Live changes last, on the gateway of the small dataset, one tenant's subscribers.
  let live = null;
  if (ONLY === null || ONLY.has('live')) {
    say(`Live changes (${elapsed()}) ...`);
    const gateway = benchServers({ smallUrl: small.url, readers, writers }).find((server) => server.id === 'gateway');
    live = await measureLive(gateway, readers[0], { ...CONFIG.live, poolSize: CONFIG.poolSize, cpuProf: CONFIG.cpuProf });
  }

  if (servers.some((server) => server.id.startsWith('gateway-traced')) && otlpSink.exports() === 0) fail('the traced gateways exported no span to the OTLP sink');
  await report({
    runs,
    live,
    config: CONFIG,
    goals: GOALS,
    datasets: { small, large, deep },
    database: { loadAtStart, pgVersion, embedded },
    timing: { startedAt, loadSeconds: (Date.now() - loadStarted) / 1000 },
    out: OUT,
  });
  const failedRuns = runs.filter((run) => failedRequests(run) > 0);
  if (failedRuns.length > 0) {
    fail(`${failedRuns.length} run(s) had failed requests: ${failedRuns.map((r) => `${r.server} ${r.scenario} (${r.firstProblem})`).join('; ')}`);
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof BenchError ? error.message : (error.stack ?? error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
