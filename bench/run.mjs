// The benchmark (issue #5): the gateway against the physical limit (bench/limit-server.mjs) and a
// peer (PostGraphile 5, bench/peer/peer-server.mjs, installed into bench/peer/ on first use), on one PostgreSQL, one server at a time pinned to
// core 0 while the load generator (bench/load.mjs, autocannon) runs pinned to core 1.
//
//   npm run bench                 # the full run (about 10-15 minutes), table + bench/results.json
//   npm run bench -- --smoke      # a few seconds per server: proves the harness works, no speed claims
//
// Options: --rounds N  --duration S (whole seconds)  --warmup S  --connections N  --no-scale
//          --only gateway,limit,peer,gateway-large (a subset of the servers)
//          --cpu-prof (each server writes bench/profiles/<server>-round<N>.cpuprofile; summarise one
//          with `node bench/profile-top.mjs FILE`)
//          --out FILE (default bench/results.json; the smoke writes bench/results-smoke.json)
// DATABASE_URL: use that PostgreSQL (the bench creates and drops databases of its own on it);
// unset: an embedded PostgreSQL in a temporary folder (fsync off), removed at the end.
// Needs `npm run build` first (`npm run bench` does it): it runs dist/src/main.js.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL, fileURLToPath } from 'node:url';
import pg from 'pg';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');
const DIST = join(ROOT, 'dist');
/** The peer lives in a package of its own: PostGraphile 5 declares Node 22 and stays out of the gateway's npm ci. */
const PEER = join(BENCH, 'peer');
const require = createRequire(import.meta.url);
const startedAt = Date.now();

// ---------------------------------------------------------------------------------------------
// Options

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback, min = 1) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} needs a number >= ${min}`);
  return value;
};
const SMOKE = flag('--smoke');
const onlyIndex = args.indexOf('--only');
const ONLY = onlyIndex >= 0 ? new Set(String(args[onlyIndex + 1] ?? '').split(',')) : null;
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
  cpuProf: flag('--cpu-prof'),
  poolSize: 10,
};

const TARGETS = {
  restGetVsLimit: 0.8,
  restPageVsLimit: 0.7,
  graphqlVsLimit: 0.5,
  graphqlVsPeer: 1.5,
  createVsLimit: 0.6,
  scaleP50Ratio: 1.2,
  gatewayRssMb: 160,
};

// ---------------------------------------------------------------------------------------------
// Output helpers (no console: the repo's lint forbids it outside entry points)

const say = (line = '') => process.stdout.write(`${line}\n`);
const warn = (line) => process.stderr.write(`warning: ${line}\n`);
const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;

/** A failure the bench explains itself: printed without a stack, after cleaning up. */
class BenchError extends Error {}
function fail(message) {
  throw new BenchError(message);
}

// ---------------------------------------------------------------------------------------------
// Pinning

const cores = os.availableParallelism?.() ?? os.cpus().length;
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const PINNED = hasTaskset && cores >= 2;
if (!hasTaskset) warn('taskset (util-linux) not found or not usable: servers and load generator run unpinned, numbers are less comparable.');
else if (cores < 2) warn(`only ${cores} core: servers and load generator run unpinned on it.`);

/** The command that runs `argv` on one core (or unpinned when taskset is not usable). */
const onCore = (core, argv) => (PINNED ? ['taskset', ['-c', String(core), ...argv]] : [argv[0], argv.slice(1)]);

// ---------------------------------------------------------------------------------------------
// Cleanup on every exit path

const cleanups = [];
let cleaningUp = false;
async function cleanup() {
  if (cleaningUp) return;
  cleaningUp = true;
  for (const step of cleanups.reverse()) await step().catch((error) => warn(`cleanup: ${error.message}`));
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping ...\n`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: the given one, or an embedded one of our own

async function startDatabase() {
  if (process.env.DATABASE_URL) {
    say(`PostgreSQL: DATABASE_URL (${redact(process.env.DATABASE_URL)})`);
    return { adminUrl: process.env.DATABASE_URL, embedded: false, pidFile: null };
  }
  const modulePath = join(DIST, 'src', 'db', 'embedded-postgres.js');
  if (!existsSync(modulePath)) fail('dist/ is missing: run `npm run build` first (npm run bench does).');
  const { startEmbeddedDatabase } = require(modulePath);
  const dataDir = await mkdtemp(join(os.tmpdir(), 'hubs-bench-pg-'));
  const log = [];
  say('PostgreSQL: starting an embedded server (fsync off) ...');
  let database;
  try {
    database = await startEmbeddedDatabase({
      dataDir,
      password: 'bench',
      ephemeral: true,
      onLog: (line) => {
        log.push(line);
        if (log.length > 30) log.shift();
      },
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    fail(`${error.message}\n${log.join('\n')}`);
  }
  cleanups.push(async () => {
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { adminUrl: database.url, embedded: true, pidFile: join(dataDir, 'postgres', 'postmaster.pid') };
}

const redact = (url) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

function databaseUrl(adminUrl, name) {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A database of its own, migrated with the gateway's own migrations, dropped at the end. */
async function createDatabase(adminUrl, name) {
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  cleanups.push(() => withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));
  const url = databaseUrl(adminUrl, name);
  const { migrateDatabase } = require(join(DIST, 'src', 'db', 'migrations.js'));
  await migrateDatabase(url);
  return url;
}

/**
 * `tenants` tenants of `hubsPerTenant` hubs each, by generate_series (one statement per hub
 * number, indexes built after). Ids are md5-derived, so tenant t is the same in every dataset.
 * Each hub has its own creation time, so the page order (created_at, hub_id) is hub 1, 2, ...
 */
async function seed(url, label, tenants, hubsPerTenant) {
  const started = Date.now();
  let sizes = '';
  const total = tenants * hubsPerTenant;
  await withClient(url, async (client) => {
    await client.query("SET maintenance_work_mem = '256MB'");
    // Loading first and indexing after is several times faster than maintaining three indexes row
    // by row. The definitions are read back from the migrated table, so they stay the migrations'.
    const { rows: keys } = await client.query(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
        WHERE conrelid = 'hubs'::regclass AND contype IN ('p', 'u')`,
    );
    const { rows: indexes } = await client.query(
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename = 'hubs' AND NOT (indexname = ANY($1::text[]))`,
      [keys.map((key) => key.name)],
    );
    for (const index of indexes) await client.query(`DROP INDEX "${index.name}"`);
    for (const key of keys) await client.query(`ALTER TABLE hubs DROP CONSTRAINT "${key.name}"`);
    // Hubs in creation order, interleaved across tenants as real traffic makes them: hub h of
    // every tenant, then hub h+1 of every tenant. So a tenant's hubs are spread over the heap
    // (one page read per hub, unless an index covers the read), as in a long-lived table.
    const step = Math.max(1, Math.round(hubsPerTenant / 10));
    for (let h = 1; h <= hubsPerTenant; h++) {
      await client.query(
        `INSERT INTO hubs (tenant_id, hub_id, name, name_key, description, close_dormant_conversation, status_id, created_at, updated_at)
         SELECT md5('bench-tenant-' || t)::uuid,
                md5('bench-hub-' || t || '-' || $1::int)::uuid,
                'Hub ' || $1::int,
                'hub ' || $1::int,
                'Benchmark hub ' || $1::int || ' of tenant ' || t || ': routes the conversations of one brand.',
                $1::int % 31,
                CASE WHEN $1::int % 5 = 0 THEN 2002 ELSE 2000 END,
                timestamptz '2025-01-01' + (($1::bigint * $2 + t) * interval '1 second'),
                timestamptz '2025-01-01' + (($1::bigint * $2 + t) * interval '1 second')
           FROM generate_series(1, $2::int) AS t ORDER BY t`,
        [h, tenants],
      );
      if ((total >= 200_000 && h % step === 0) || h === hubsPerTenant) {
        const done = h * tenants;
        say(`  seeding ${label}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} hubs (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      }
    }
    const indexing = Date.now();
    for (const key of keys) await client.query(`ALTER TABLE hubs ADD CONSTRAINT "${key.name}" ${key.definition}`);
    for (const index of indexes) await client.query(index.definition);
    if (total >= 200_000) say(`  indexing ${label}: ${((Date.now() - indexing) / 1000).toFixed(1)} s`);
    await client.query('VACUUM ANALYZE hubs');
    const { rows: [size] } = await client.query(
      "SELECT pg_size_pretty(pg_table_size('hubs')) AS heap, pg_size_pretty(pg_indexes_size('hubs')) AS indexes, current_setting('shared_buffers') AS buffers",
    );
    sizes = `table ${size.heap}, indexes ${size.indexes}, shared_buffers ${size.buffers}`;
  });
  say(`  seeded ${label}: ${total.toLocaleString('en-US')} hubs in ${tenants.toLocaleString('en-US')} tenants, ${((Date.now() - started) / 1000).toFixed(1)} s (with VACUUM ANALYZE); ${sizes}`);
}

/** The tenants numbered `numbers`, with their hub ids in page order and their totals. */
async function tenantsOf(url, numbers) {
  return withClient(url, async (client) => {
    const { rows } = await client.query(
      `SELECT n, md5('bench-tenant-' || n)::uuid::text AS tenant_id,
              (SELECT array_agg(hub_id::text ORDER BY created_at, hub_id) FROM hubs WHERE tenant_id = md5('bench-tenant-' || n)::uuid) AS hub_ids
         FROM unnest($1::int[]) AS n ORDER BY n`,
      [numbers],
    );
    return rows.map((row) => ({ tenantId: row.tenant_id, hubIds: row.hub_ids ?? [], total: row.hub_ids?.length ?? 0 }));
  });
}

// ---------------------------------------------------------------------------------------------
// Tokens (the gateway's own minting code, HS256)

const SECRET = randomBytes(32).toString('hex');
async function withTokens(tenants) {
  const { mintToken } = require(join(DIST, 'src', 'auth', 'token-issuer.js'));
  return Promise.all(
    tenants.map(async (tenant) => ({
      ...tenant,
      token: await mintToken({
        secret: SECRET,
        tenantId: tenant.tenantId,
        tenantClaim: 'tenantId',
        scopes: ['hubs:read', 'hubs:write'],
        ttlSeconds: 24 * 60 * 60,
      }),
    })),
  );
}

// ---------------------------------------------------------------------------------------------
// Servers under test

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** The machine's environment without anything that configures the gateway. */
function cleanEnv(extra) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(DATABASE_|AUTH_|HUBS_TEST_|PORT$|HOST$|MIGRATIONS_RUN$|RATE_LIMIT_|REDIS_URL$|GRAPHILE_)/.test(key)) delete env[key];
  }
  return { ...env, NODE_ENV: 'production', ...extra };
}

/**
 * Starts one server on core 0 and resolves once it says it listens. `taskset` execs the program,
 * so the child's pid is the server's pid (for /proc/<pid>/status).
 */
/** `npm ci` of bench/peer/ once, before the peer's first start. */
function installPeer() {
  if (existsSync(join(PEER, 'node_modules', 'postgraphile'))) return;
  say('Installing the peer (PostGraphile 5) into bench/peer/ ...');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: PEER, stdio: 'inherit' });
  if (result.status !== 0) fail('npm ci in bench/peer/ failed: the peer cannot be started.');
}

async function startServer(server, round) {
  server.prepare?.();
  const port = await freePort();
  const env = cleanEnv({ PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: server.databaseUrl, DATABASE_POOL_SIZE: String(CONFIG.poolSize), ...server.env });
  const nodeArgs = [...server.nodeArgs];
  if (CONFIG.cpuProf) {
    const dir = join(BENCH, 'profiles');
    await mkdir(dir, { recursive: true });
    nodeArgs.unshift('--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${server.id}-round${round + 1}.cpuprofile`);
  }
  const [command, argv] = onCore(0, [process.execPath, ...nodeArgs]);
  const child = spawn(command, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const onData = (chunk) => {
    output += chunk.toString();
    if (output.length > 20_000) output = output.slice(-10_000);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  const running = { child, pid: child.pid, url: `http://127.0.0.1:${port}`, output: () => output, exited };
  const stopOnExit = () => stopServer(running);
  cleanups.push(stopOnExit);
  running.removeCleanup = () => {
    const index = cleanups.indexOf(stopOnExit);
    if (index >= 0) cleanups.splice(index, 1);
  };

  const deadline = Date.now() + 90_000;
  while (!server.ready.test(output)) {
    if (child.exitCode !== null || child.signalCode !== null) fail(`${server.label} exited before it listened:\n${output}`);
    if (Date.now() > deadline) {
      await stopServer(running);
      fail(`${server.label} did not listen within 90 s:\n${output}`);
    }
    await sleep(50);
  }
  return running;
}

async function stopServer(running) {
  if (running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill('SIGTERM');
    const timer = setTimeout(() => running.child.kill('SIGKILL'), 15_000);
    await running.exited;
    clearTimeout(timer);
  }
}

function rssMb(pid) {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting during a measured run, from /proc: how busy the server's core was (is the run
// server-bound?), and how much CPU went to anything but the server, the load generator and our
// PostgreSQL (the noise of other work on the machine).

const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state(0) ppid(1) ... utime(11) stime(12)
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/** The postmaster and its children (backends, checkpointer, ...), when we run PostgreSQL ourselves. */
function postgresTicks(pidFile) {
  if (pidFile === null) return null;
  let postmaster;
  try {
    postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
  let ticks = processTicks(postmaster)?.ticks ?? 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const process_ = processTicks(entry);
    if (process_ !== null && process_.ppid === postmaster) ticks += process_.ticks;
  }
  return ticks;
}

function machineTicks() {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const numbers = values.map(Number);
  const total = numbers.reduce((a, b) => a + b, 0);
  const idle = numbers[3] + (numbers[4] ?? 0);
  return { busy: total - idle };
}

function cpuSnapshot(serverPid, loaderPid, pidFile) {
  return {
    at: process.hrtime.bigint(),
    server: processTicks(serverPid)?.ticks ?? null,
    loader: processTicks(loaderPid)?.ticks ?? null,
    postgres: postgresTicks(pidFile),
    machine: machineTicks().busy,
  };
}

/** Per cent of one core, over the interval between two snapshots. */
function cpuUsage(before, after) {
  const seconds = Number(after.at - before.at) / 1e9;
  const percent = (a, b) => (a === null || b === null ? null : Math.round((100 * (b - a)) / TICKS_PER_SECOND / seconds));
  const server = percent(before.server, after.server);
  const loader = percent(before.loader, after.loader);
  const postgres = percent(before.postgres, after.postgres);
  const machine = percent(before.machine, after.machine);
  const other = [server, loader, postgres, machine].includes(null) ? null : Math.max(0, machine - server - loader - postgres);
  return { server, loader, postgres, machine, other };
}

// ---------------------------------------------------------------------------------------------
// Checks: before any load, each scenario's request answers what it must, the same on every server

const HUB_KEYS = ['hubId', 'tenantId', 'name', 'description', 'closeDormantConversation', 'statusId'];
const FIELDS = HUB_KEYS.join(' ');

async function call(url, path, token, body) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await globalThis.fetch(url + path, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

/** The six REST fields of the hub, compared with what the database holds. */
function expectHub(where, hub, expected) {
  const keys = hub && typeof hub === 'object' ? Object.keys(hub).sort() : [];
  if (keys.join() !== [...HUB_KEYS].sort().join()) throw new Error(`${where}: not a hub with exactly ${HUB_KEYS.join(', ')}: ${JSON.stringify(hub)}`);
  for (const key of HUB_KEYS) {
    if (expected[key] !== undefined && hub[key] !== expected[key]) throw new Error(`${where}: ${key} is ${JSON.stringify(hub[key])}, expected ${JSON.stringify(expected[key])}`);
  }
}

async function checkScenario(running, server, scenario, data) {
  const where = `${server.label} ${scenario.label}`;
  const reader = scenario.tenants[0];
  const truth = data.hubRow;
  const want = { hubId: reader.hubIds[0], tenantId: reader.tenantId };
  const gql = async (query, variables, token) => {
    const { status, json, text } = await call(running.url, '/graphql', token, { query, variables });
    if (status !== 200 || !json || json.errors) throw new Error(`${where}: HTTP ${status} ${text.slice(0, 500)}`);
    return json.data;
  };
  const writer = data.writers[0];
  const name = `check-${server.id}-${randomUUID()}`;
  switch (scenario.kind) {
    case 'rest-get': {
      const { status, json, text } = await call(running.url, `/api/v1/hubs/${want.hubId}`, reader.token);
      if (status !== 200) throw new Error(`${where}: HTTP ${status} ${text.slice(0, 300)}`);
      expectHub(where, json, { ...want, ...truth(reader) });
      break;
    }
    case 'rest-page': {
      const { status, json, text } = await call(running.url, '/api/v1/hubs?pageNumber=1&pageSize=50', reader.token);
      if (status !== 200) throw new Error(`${where}: HTTP ${status} ${text.slice(0, 300)}`);
      if (Object.keys(json).sort().join() !== 'pageNumber,pageSize,results,total') throw new Error(`${where}: page keys ${Object.keys(json)}`);
      if (json.total !== reader.total || json.pageNumber !== 1 || json.pageSize !== 50 || json.results.length !== 50) {
        throw new Error(`${where}: page ${json.pageNumber}/${json.pageSize}, total ${json.total}, ${json.results.length} results`);
      }
      expectHub(where, json.results[0], { hubId: reader.hubIds[50], tenantId: reader.tenantId });
      break;
    }
    case 'rest-create': {
      const body = { name, description: 'check', closeDormantConversation: 30, statusId: 2000 };
      const { status, json, text } = await call(running.url, '/api/v1/hubs', writer.token, body);
      if (status !== 200) throw new Error(`${where}: HTTP ${status} ${text.slice(0, 300)}`);
      expectHub(where, json, { tenantId: writer.tenantId, name, description: 'check', closeDormantConversation: 30, statusId: 2000 });
      break;
    }
    case 'gql-hub': {
      const { hub } = await gql(`query Hub($hubId: ID!) { hub(hubId: $hubId) { ${FIELDS} } }`, { hubId: want.hubId }, reader.token);
      expectHub(where, hub, { ...want, ...truth(reader) });
      break;
    }
    case 'gql-hubs': {
      const { hubs } = await gql(`query { hubs(pageNumber: 1, pageSize: 50) { pageNumber pageSize total results { ${FIELDS} } } }`, {}, reader.token);
      if (hubs.total !== reader.total || hubs.results.length !== 50) throw new Error(`${where}: total ${hubs.total}, ${hubs.results.length} results`);
      expectHub(where, hubs.results[0], { hubId: reader.hubIds[50], tenantId: reader.tenantId });
      break;
    }
    case 'gql-create': {
      const input = { name, description: 'check', closeDormantConversation: 30, status: 'ACTIVE' };
      const { createHub } = await gql(`mutation C($input: CreateHubInput!) { createHub(input: $input) { ${FIELDS} } }`, { input }, writer.token);
      expectHub(where, createHub, { tenantId: writer.tenantId, name, description: 'check', closeDormantConversation: 30, statusId: 2000 });
      break;
    }
    case 'peer-hub': {
      const { hub } = await gql(`query Hub($t: UUID!, $h: UUID!) { hub(tenantId: $t, hubId: $h) { ${FIELDS} } }`, { t: reader.tenantId, h: want.hubId });
      expectHub(where, hub, { ...want, ...truth(reader) });
      break;
    }
    case 'peer-hubs': {
      const { hubs } = await gql(
        `query Hubs($t: UUID!) { hubs(condition: { tenantId: $t }, first: 50, offset: 50, orderBy: [CREATED_AT_ASC, HUB_ID_ASC]) { totalCount nodes { ${FIELDS} } } }`,
        { t: reader.tenantId },
      );
      if (hubs.totalCount !== reader.total || hubs.nodes.length !== 50) throw new Error(`${where}: totalCount ${hubs.totalCount}, ${hubs.nodes.length} nodes`);
      expectHub(where, hubs.nodes[0], { hubId: reader.hubIds[50], tenantId: reader.tenantId });
      break;
    }
    default:
      throw new Error(`unknown kind ${scenario.kind}`);
  }
}

// ---------------------------------------------------------------------------------------------
// One load run: bench/load.mjs on core 1, RSS of the server sampled every 100 ms

/** bench/load.mjs, started once on core 1 and kept for every run (no Node start-up per scenario). */
function startLoadGenerator() {
  const [command, argv] = onCore(1, [process.execPath, join(BENCH, 'load.mjs')]);
  const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return child;
}

async function runLoad(loader, running, scenario, namePrefix, pidFile) {
  const spec = {
    url: running.url,
    connections: CONFIG.connections,
    warmupSeconds: CONFIG.warmupSeconds,
    durationSeconds: CONFIG.durationSeconds,
    kind: scenario.kind,
    tenants: scenario.tenants,
    namePrefix,
  };
  let maxRss = 0;
  let before = null;
  const sampler = setInterval(() => {
    const rss = rssMb(running.pid);
    if (rss !== null && rss > maxRss) maxRss = rss;
  }, 100);
  try {
    const result = await new Promise((resolveResult, reject) => {
      const timeLimit = (CONFIG.warmupSeconds + CONFIG.durationSeconds + 120) * 1000;
      const timer = setTimeout(() => finish(new Error(`no result within ${timeLimit / 1000} s`)), timeLimit);
      const onMessage = (message) => {
        if (message.phase === 'measure') before = cpuSnapshot(running.pid, loader.pid, pidFile);
        else if (message.result !== undefined) finish(null, message.result);
        else if (message.error !== undefined) finish(new Error(message.error));
      };
      const onExit = (code) => finish(new Error(`load generator exited (${code})`));
      function finish(error, value) {
        clearTimeout(timer);
        loader.off('message', onMessage);
        loader.off('exit', onExit);
        if (error) reject(error);
        else resolveResult(value);
      }
      loader.on('message', onMessage);
      loader.once('exit', onExit);
      loader.send({ spec });
    });
    const cpu = before === null ? null : cpuUsage(before, cpuSnapshot(running.pid, loader.pid, pidFile));
    return { ...result, rssMb: Number(maxRss.toFixed(1)), cpu };
  } catch (error) {
    fail(`load generator failed on ${scenario.label}: ${error.message}`);
  } finally {
    clearInterval(sampler);
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and the table

const median = (values) => {
  const sorted = values.filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function summarise(runs) {
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.serverId}/${run.kind}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(run);
  }
  const summary = {};
  for (const [key, group] of groups) {
    summary[key] = {
      rounds: group.length,
      rps: median(group.map((r) => r.rps)),
      p50: median(group.map((r) => r.p50)),
      p99: median(group.map((r) => r.p99)),
      rssMb: Math.max(...group.map((r) => r.rssMb)),
      serverCpu: median(group.map((r) => r.cpu?.server)),
      otherCpu: median(group.map((r) => r.cpu?.other)),
      failed: group.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts + r.graphqlErrors, 0),
      requests: group.reduce((n, r) => n + r.requests, 0),
    };
  }
  return summary;
}

const fmt = {
  rps: (v) => (v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en-US')),
  ms: (v) => (v === null || v === undefined ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1)),
  mb: (v) => (v === null || v === undefined ? '-' : v.toFixed(0)),
  ratio: (v) => (v === null || v === undefined ? '-' : `${v.toFixed(2)}x`),
  cpu: (row) => `${row.serverCpu ?? '-'} / ${row.otherCpu ?? '-'}`,
};

function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  for (const file of ['src/main.js', 'src/db/migrations.js', 'src/auth/token-issuer.js']) {
    if (!existsSync(join(DIST, file))) fail(`dist/${file} is missing: run \`npm run build\` first (npm run bench does).`);
  }
  const loadAtStart = os.loadavg();
  say(`Hubs gateway benchmark (${CONFIG.mode}): ${CONFIG.rounds} round(s), ${CONFIG.durationSeconds} s per scenario after ${CONFIG.warmupSeconds} s of warm-up, ${CONFIG.connections} connections`);
  say(`Pinning: ${PINNED ? 'servers on core 0 (taskset -c 0), load generator on core 1 (taskset -c 1); PostgreSQL unpinned' : 'none'}`);
  if (loadAtStart[0] > 0.5) warn(`load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}: other work is running, numbers will be noisy.`);

  const { adminUrl, embedded, pidFile } = await startDatabase();
  const pgVersion = await withClient(adminUrl, async (client) => (await client.query('SHOW server_version')).rows[0].server_version);
  const suffix = randomBytes(3).toString('hex');

  // Datasets: the small one serves every server; the large one only the gateway's scale runs.
  const { hubsPerTenant, smallTenants, largeTenants } = CONFIG;
  const smallLabel = `${(smallTenants * hubsPerTenant).toLocaleString('en-US')} hubs`;
  const largeLabel = `${(largeTenants * hubsPerTenant).toLocaleString('en-US')} hubs`;
  say(`Seeding (${elapsed()}) ...`);
  const smallUrl = await createDatabase(adminUrl, `bench_small_${suffix}`);
  await seed(smallUrl, smallLabel, smallTenants, hubsPerTenant);
  let largeUrl;
  if (CONFIG.scale) {
    largeUrl = await createDatabase(adminUrl, `bench_large_${suffix}`);
    await seed(largeUrl, largeLabel, largeTenants, hubsPerTenant);
  }

  const range = (n, from = 1, step = 1) => Array.from({ length: n }, (_, i) => from + i * step);
  const readers = await withTokens(await tenantsOf(smallUrl, range(smallTenants)));
  const step = Math.max(1, Math.floor(largeTenants / CONFIG.largeSample));
  const largeReaders = CONFIG.scale ? await withTokens(await tenantsOf(largeUrl, range(Math.min(CONFIG.largeSample, largeTenants), 1, step))) : [];
  const writers = await withTokens(range(CONFIG.writeTenants).map(() => ({ tenantId: randomUUID(), hubIds: [], total: 0 })));
  const writerIds = writers.map((w) => w.tenantId);
  for (const reader of [...readers, ...largeReaders]) {
    if (reader.total !== hubsPerTenant) fail(`seed check: tenant ${reader.tenantId} has ${reader.total} hubs`);
  }
  // Seeded values of hub 1 of any tenant (see seed()), to compare with what each server answers.
  const data = { writers, hubRow: () => ({ name: 'Hub 1', closeDormantConversation: 1, statusId: 2000 }) };

  const scenario = (kind, label, tenants) => ({ kind, label, tenants });
  const READS_REST = (tenants) => [scenario('rest-get', 'REST get', tenants), scenario('rest-page', 'REST page', tenants)];
  const READS_GQL = (tenants) => [scenario('gql-hub', 'GraphQL hub', tenants), scenario('gql-hubs', 'GraphQL hubs', tenants)];
  const gatewayEnv = { AUTH_JWT_SECRET: SECRET, RATE_LIMIT_MAX: '1000000000', LOG_LEVEL: 'warn', MIGRATIONS_RUN: 'true' };
  const gatewayReady = /REST:\s+http:\/\/\S+\/api\/v1\/hubs/;
  const servers = [
    {
      id: 'gateway',
      label: 'gateway',
      databaseUrl: smallUrl,
      nodeArgs: [join(DIST, 'src', 'main.js')],
      env: gatewayEnv,
      ready: gatewayReady,
      scenarios: [
        ...READS_REST(readers),
        scenario('rest-create', 'REST create', writers),
        ...READS_GQL(readers),
        scenario('gql-create', 'GraphQL createHub', writers),
      ],
    },
    {
      id: 'limit',
      label: 'limit',
      databaseUrl: smallUrl,
      nodeArgs: [join(BENCH, 'limit-server.mjs')],
      env: { AUTH_JWT_SECRET: SECRET },
      ready: /limit listening/,
      scenarios: [...READS_REST(readers), scenario('rest-create', 'REST create', writers)],
    },
    {
      id: 'peer',
      label: 'peer (PostGraphile)',
      databaseUrl: smallUrl,
      nodeArgs: ['--require', join(PEER, 'polyfill.cjs'), join(PEER, 'peer-server.mjs')],
      prepare: installPeer,
      env: { GRAPHILE_ENV: 'production' },
      ready: /peer listening/,
      scenarios: [scenario('peer-hub', 'GraphQL hub', readers), scenario('peer-hubs', 'GraphQL hubs', readers)],
    },
  ];
  if (CONFIG.scale) {
    servers.push({
      id: 'gateway-large',
      label: `gateway, ${largeLabel}`,
      databaseUrl: largeUrl,
      nodeArgs: [join(DIST, 'src', 'main.js')],
      env: gatewayEnv,
      ready: gatewayReady,
      scenarios: [...READS_REST(largeReaders), ...READS_GQL(largeReaders)],
    });
  }

  if (ONLY !== null) {
    const unknown = [...ONLY].filter((id) => !servers.some((server) => server.id === id));
    if (unknown.length > 0) fail(`--only: unknown server(s) ${unknown.join(', ')}; known: ${servers.map((server) => server.id).join(', ')}`);
    servers.splice(0, servers.length, ...servers.filter((server) => ONLY.has(server.id)));
  }
  const loader = startLoadGenerator();
  const runs = [];
  const benchStarted = Date.now();
  for (let round = 0; round < CONFIG.rounds; round++) {
    // Round-robin, starting one server further each round, so drift and order touch all alike.
    const order = servers.map((_, i) => servers[(i + round) % servers.length]);
    for (const server of order) {
      const starting = Date.now();
      const running = await startServer(server, round);
      say(`Round ${round + 1}/${CONFIG.rounds}: ${server.label}, pid ${running.pid}, up in ${((Date.now() - starting) / 1000).toFixed(1)} s (${elapsed()})`);
      try {
        for (const scenario of server.scenarios) {
          try {
            await checkScenario(running, server, scenario, data);
          } catch (error) {
            fail(`check failed: ${error.message}\n${running.output().slice(-3000)}`);
          }
          const result = await runLoad(loader, running, scenario, `${server.id}-${scenario.kind}-r${round + 1}-${suffix}`, pidFile);
          runs.push({ round: round + 1, serverId: server.id, server: server.label, kind: scenario.kind, scenario: scenario.label, ...result });
          const failed = result.non2xx + result.errors + result.timeouts + result.graphqlErrors;
          say(
            `  ${scenario.label.padEnd(18)} ${fmt.rps(result.rps).padStart(7)} req/s  p50 ${fmt.ms(result.p50).padStart(6)} ms  p99 ${fmt.ms(result.p99).padStart(6)} ms  RSS ${fmt.mb(result.rssMb).padStart(4)} MB` +
              (result.cpu ? `  CPU % server ${result.cpu.server} load ${result.cpu.loader} pg ${result.cpu.postgres ?? '?'} other ${result.cpu.other ?? '?'}` : '') +
              (failed > 0 ? `  FAILED ${failed} (${result.firstProblem})` : ''),
          );
          if (scenario.kind.endsWith('create')) {
            // Back to the seeded state: the next server and round see the same table.
            await withClient(server.databaseUrl, async (client) => {
              await client.query('DELETE FROM hubs WHERE tenant_id = ANY($1::uuid[])', [writerIds]);
              await client.query('VACUUM ANALYZE hubs');
            });
          }
        }
      } finally {
        await stopServer(running);
        running.removeCleanup();
      }
      if (running.child.exitCode !== 0 && running.child.signalCode === null) {
        warn(`${server.label} exited with ${running.child.exitCode}:\n${running.output().slice(-2000)}`);
      }
    }
  }
  const benchSeconds = (Date.now() - benchStarted) / 1000;

  // -------------------------------------------------------------------------------------------
  // Report

  const summary = summarise(runs);
  const s = (server, kind) => summary[`${server}/${kind}`];
  const ratio = (a, b) => (a && b && a.rps && b.rps ? a.rps / b.rps : null);
  const p50Ratio = (a, b) => (a && b && a.p50 && b.p50 ? a.p50 / b.p50 : null);

  /** A ratio with its goal and the verdict, as one table cell: "0.84x (>= 0.80 met)". */
  const judged = (value, goal, atMost = false) => {
    if (value === null || value === undefined) return '-';
    const met = atMost ? value <= goal : value >= goal;
    return `${fmt.ratio(value)} (${atMost ? '<=' : '>='} ${goal.toFixed(2)} ${met ? 'met' : 'MISSED'})`;
  };
  const T_ = TARGETS;
  // [scenario, server, kind, vs limit | null, vs peer | null], each comparison [server, kind, goal, target name]
  const ROWS = [
    ['REST get one hub', 'gateway', 'rest-get', ['limit', 'rest-get', T_.restGetVsLimit, 'REST get vs limit'], null],
    ['REST get one hub', 'limit', 'rest-get', null, null],
    ['REST page of 50 + total', 'gateway', 'rest-page', ['limit', 'rest-page', T_.restPageVsLimit, 'REST page vs limit'], null],
    ['REST page of 50 + total', 'limit', 'rest-page', null, null],
    ['REST create', 'gateway', 'rest-create', ['limit', 'rest-create', T_.createVsLimit, 'REST create vs limit'], null],
    ['REST create', 'limit', 'rest-create', null, null],
    ['GraphQL hub', 'gateway', 'gql-hub', ['limit', 'rest-get', T_.graphqlVsLimit, 'GraphQL hub vs limit (REST get)'], ['peer', 'peer-hub', T_.graphqlVsPeer, 'GraphQL hub vs peer']],
    ['GraphQL hub', 'peer', 'peer-hub', null, null],
    ['GraphQL hubs page of 50 + total', 'gateway', 'gql-hubs', ['limit', 'rest-page', T_.graphqlVsLimit, 'GraphQL hubs vs limit (REST page)'], ['peer', 'peer-hubs', T_.graphqlVsPeer, 'GraphQL hubs vs peer']],
    ['GraphQL hubs page of 50 + total', 'peer', 'peer-hubs', null, null],
    ['GraphQL createHub', 'gateway', 'gql-create', ['limit', 'rest-create', T_.createVsLimit, 'GraphQL createHub vs limit (REST create)'], null],
  ];
  const SCALE_ROWS = [
    ['REST get one hub', 'rest-get'],
    ['REST page of 50 + total', 'rest-page'],
    ['GraphQL hub', 'gql-hub'],
    ['GraphQL hubs page of 50 + total', 'gql-hubs'],
  ];
  const SERVER_LABELS = { gateway: 'gateway', limit: 'limit', peer: 'peer (PostGraphile)' };
  const targets = [];
  const target = (name, value, goal, atMost = false) => {
    if (value === null || value === undefined) return;
    targets.push({ name, value: Number(value.toFixed(4)), goal, comparison: atMost ? '<=' : '>=', met: atMost ? value <= goal : value >= goal });
  };

  const tableRows = [];
  for (const [label, server, kind, vsLimit, vsPeer] of ROWS) {
    const row = s(server, kind);
    if (!row) continue;
    const cells = [label, SERVER_LABELS[server], fmt.rps(row.rps), fmt.ms(row.p50), fmt.ms(row.p99), fmt.mb(row.rssMb), fmt.cpu(row)];
    for (const against of [vsLimit, vsPeer]) {
      if (against === null) {
        cells.push('');
        continue;
      }
      const value = ratio(row, s(against[0], against[1]));
      cells.push(judged(value, against[2]));
      target(against[3], value, against[2]);
    }
    tableRows.push(cells);
  }
  const table = markdownTable(['scenario', 'server', 'req/s', 'p50 ms', 'p99 ms', 'RSS MB', 'CPU % server / other', 'vs limit', 'vs peer'], tableRows);

  const scaleRows = [];
  if (CONFIG.scale) {
    for (const [label, kind] of SCALE_ROWS) {
      const small = s('gateway', kind);
      const large = s('gateway-large', kind);
      if (!small || !large) continue;
      const value = p50Ratio(large, small);
      scaleRows.push([label, fmt.rps(small.rps), fmt.ms(small.p50), fmt.rps(large.rps), fmt.ms(large.p50), fmt.ms(large.p99), fmt.mb(large.rssMb), judged(value, T_.scaleP50Ratio, true)]);
      target(`${label}: p50 ${largeLabel} / ${smallLabel}`, value, T_.scaleP50Ratio, true);
    }
  }
  const scaleTable = markdownTable(
    ['gateway, per tenant', `req/s ${smallLabel}`, `p50 ms ${smallLabel}`, `req/s ${largeLabel}`, `p50 ms ${largeLabel}`, `p99 ms ${largeLabel}`, 'RSS MB', 'p50 ratio'],
    scaleRows,
  );

  const gatewayRss = Math.max(...runs.filter((r) => r.serverId.startsWith('gateway')).map((r) => r.rssMb));
  if (Number.isFinite(gatewayRss)) target('gateway RSS max (MB)', gatewayRss, TARGETS.gatewayRssMb, true);
  const targetTable = markdownTable(
    ['target', 'measured', 'goal', ''],
    targets.map((t) => [t.name, t.name.includes('MB') ? t.value.toFixed(0) : `${t.value.toFixed(2)}${t.comparison === '>=' ? 'x' : ''}`, `${t.comparison} ${t.name.includes('MB') ? t.goal : t.goal.toFixed(2)}`, t.met ? 'met' : 'MISSED']),
  );

  const failedRuns = runs.filter((r) => r.non2xx + r.errors + r.timeouts + r.graphqlErrors > 0);
  const cpuModel = /model name\s*:\s*(.+)/.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const loadAtEnd = os.loadavg();
  const machine = {
    cpu: cpuModel,
    cores,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: `${pgVersion}${embedded ? ' (embedded, fsync off)' : ' (DATABASE_URL)'}`,
    pinned: PINNED,
    loadAverageAtStart: loadAtStart.map((l) => Number(l.toFixed(2))),
    loadAverageAtEnd: loadAtEnd.map((l) => Number(l.toFixed(2))),
    otherWorkCpuPercentMedian: median(runs.map((r) => r.cpu?.other)),
  };
  const totalSeconds = (Date.now() - startedAt) / 1000;

  say();
  say(`Results (${CONFIG.mode}; median of ${CONFIG.rounds} round(s); req/s of successful answers; RSS is the server's max VmRSS during load;`);
  say(`CPU %: of one core during the measured run, for the server, and for other work on the machine (not the server, load generator or our PostgreSQL))`);
  say();
  say(table);
  say();
  if (scaleRows.length > 0) {
    say(`Scale: the same reads of one tenant (${hubsPerTenant} hubs) among ${largeLabel} in ${largeTenants.toLocaleString('en-US')} tenants vs ${smallLabel} in ${smallTenants}`);
    say();
    say(scaleTable);
    say();
  }
  say(targetTable);
  say();
  say(`Machine: ${machine.cpu}, ${cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, PostgreSQL ${machine.postgres}`);
  say(`Load average at start ${machine.loadAverageAtStart.join(' ')}, at end ${machine.loadAverageAtEnd.join(' ')}`);
  say(`Datasets: ${smallLabel} in ${smallTenants} tenants${CONFIG.scale ? `; ${largeLabel} in ${largeTenants.toLocaleString('en-US')} tenants` : ''} (${hubsPerTenant} hubs per tenant)`);
  say(`Took ${totalSeconds.toFixed(0)} s (${benchSeconds.toFixed(0)} s of load). Written: ${OUT}`);
  const noise = median(runs.map((r) => r.cpu?.other));
  if (noise !== null && noise > 25) {
    warn(`other work on the machine used ${noise}% of a core (median) during the measured runs: these numbers are noisy; measure again on a quiet machine.`);
  }
  if (SMOKE) say('Smoke run: durations too short for meaningful numbers; it only proves the harness works.');

  await writeFile(
    OUT,
    JSON.stringify(
      {
        issue: '#5',
        mode: CONFIG.mode,
        date: new Date(startedAt).toISOString(),
        durationSeconds: Number(totalSeconds.toFixed(1)),
        config: CONFIG,
        targets: TARGETS,
        machine,
        datasets: { small: { hubs: smallTenants * hubsPerTenant, tenants: smallTenants }, large: CONFIG.scale ? { hubs: largeTenants * hubsPerTenant, tenants: largeTenants, readTenants: largeReaders.length } : null },
        summary,
        checks: targets,
        table,
        scaleTable: scaleRows.length > 0 ? scaleTable : null,
        targetTable,
        runs,
      },
      null,
      2,
    ) + '\n',
  );

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
