// The servers under test (the gateway, the limit, the peer), their scenarios, and starting and
// stopping one of them pinned to core 0.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { SECRET } from './data.mjs';
import { BENCH, DIST, distModule, fail, onCleanup, onCore, PEER, ROOT, say } from './support.mjs';

const scenario = (kind, label, tenants, extra = {}) => ({ kind, label, tenants, ...extra });
const restReads = (tenants) => [scenario('rest-get', 'REST get', tenants), scenario('rest-page', 'REST page', tenants)];
const graphqlReads = (tenants) => [scenario('gql-hub', 'GraphQL hub', tenants), scenario('gql-hubs', 'GraphQL hubs', tenants)];

const DEEP = { connections: 8 };

/**
 * Every server of a full run and what each is measured on: readers read the seeded tenants,
 * writers create hubs in tenants of their own (removed after each create scenario).
 */
export function benchServers({ smallUrl, largeUrl, largeLabel, deepUrl, deepLabel, quietUrl, otlpSinkUrl, readers, largeReaders, deepReader, writers }) {
  const gateway = {
    nodeArgs: [join(DIST, 'src', 'main.js')],
    env: { AUTH_JWT_SECRET: SECRET, RATE_LIMIT_MAX: '1000000000', LOG_LEVEL: 'warn', MIGRATIONS_RUN: 'true' },
    ready: /REST:\s+http:\/\/\S+\/api\/v1\/hubs/,
  };
  const servers = [
    {
      id: 'gateway',
      label: 'gateway',
      databaseUrl: smallUrl,
      ...gateway,
      scenarios: [
        ...restReads(readers),
        scenario('rest-create', 'REST create', writers),
        ...graphqlReads(readers),
        scenario('gql-conn', 'GraphQL connection', readers),
        scenario('gql-by-ids', 'GraphQL hubsByIds', readers),
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
      scenarios: [...restReads(readers), scenario('rest-create', 'REST create', writers)],
    },
    {
      id: 'peer',
      label: 'peer (PostGraphile)',
      databaseUrl: smallUrl,
      nodeArgs: ['--require', join(PEER, 'polyfill.cjs'), join(PEER, 'peer-server.mjs')],
      prepare: installPeer,
      env: { GRAPHILE_ENV: 'production' },
      ready: /peer listening/,
      scenarios: [scenario('peer-hub', 'GraphQL hub', readers), scenario('peer-hubs', 'GraphQL hubs', readers), scenario('peer-conn', 'GraphQL connection', readers)],
    },
  ];
  if (quietUrl !== undefined) {
    servers.push({
      id: 'gateway-quiet',
      label: 'gateway, no announcements',
      databaseUrl: quietUrl,
      ...gateway,
      // The creates of the first gateway, on a database whose hubs_announce does nothing.
      scenarios: [scenario('rest-create', 'REST create', writers), scenario('gql-create', 'GraphQL createHub', writers)],
    });
  }
  if (otlpSinkUrl !== undefined) {
    // The cost of tracing: the first gateway's reads of one hub, every span exported (OTLP
    // http/protobuf, the default) to a collector that takes them and throws them away.
    const traced = (id, label, sampler) => ({
      id,
      label,
      databaseUrl: smallUrl,
      ...gateway,
      env: { ...gateway.env, OTEL_EXPORTER_OTLP_ENDPOINT: otlpSinkUrl, ...sampler },
      scenarios: [scenario('rest-get', 'REST get', readers), scenario('gql-hub', 'GraphQL hub', readers)],
    });
    servers.push(
      traced('gateway-traced', 'gateway, traced 100 %', { OTEL_TRACES_SAMPLER: 'always_on' }),
      traced('gateway-traced-10', 'gateway, traced 10 %', { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }),
    );
  }
  if (deepUrl === undefined) return servers;
  servers.push({
    id: 'gateway-deep',
    label: `gateway, ${deepLabel}`,
    databaseUrl: deepUrl,
    ...gateway,
    // One tenant may hold at most half of the pool (fairness): 8 connections keep its requests
    // from queueing past the gateway's connection wait, where REST's count of 200,000 hubs would
    // turn them into 503s. The same for every scenario here, so their latencies compare.
    scenarios: [
      scenario('gql-conn-first', 'connection d=0', [deepReader], DEEP),
      scenario('gql-conn-deep', 'connection deep', [deepReader], DEEP),
      scenario('gql-conn-name', 'connection name', [deepReader], DEEP),
      scenario('rest-page-first', 'REST page d=0', [deepReader], DEEP),
      scenario('rest-page-deep', 'REST page deep', [deepReader], DEEP),
    ],
  });
  if (largeUrl !== undefined) {
    servers.push({
      id: 'gateway-large',
      label: `gateway, ${largeLabel}`,
      databaseUrl: largeUrl,
      ...gateway,
      scenarios: [...restReads(largeReaders), ...graphqlReads(largeReaders)],
    });
  }
  return servers;
}

/**
 * A stand-in OTLP collector for the traced gateways: it reads each export and answers 200, so
 * what is measured is the gateway's side of tracing (spans, batching, encoding, sending).
 */
export async function startOtlpSink() {
  let exports = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      exports++;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  onCleanup(() => new Promise((resolveClose) => server.close(() => resolveClose())));
  server.unref();
  return { url: `http://127.0.0.1:${server.address().port}`, exports: () => exports };
}

/** `npm ci` of bench/peer/ once, before the peer's first start. */
function installPeer() {
  if (existsSync(join(PEER, 'node_modules', 'postgraphile'))) return;
  say('Installing the peer (PostGraphile 5) into bench/peer/ ...');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: PEER, stdio: 'inherit' });
  if (result.status !== 0) fail('npm ci in bench/peer/ failed: the peer cannot be started.');
}

/** The machine's environment without anything that configures the gateway (or the peer). */
function cleanEnv(extra) {
  const { withoutGatewayConfig } = distModule('src/config/config.js');
  const env = withoutGatewayConfig(process.env);
  for (const key of Object.keys(env)) if (key.startsWith('HUBS_TEST_') || key.startsWith('GRAPHILE_')) delete env[key];
  return { ...env, NODE_ENV: 'production', ...extra };
}

/**
 * Starts one server on core 0 and resolves once it says it listens. `taskset` execs the program,
 * so the child's pid is the server's pid (for /proc/<pid>/status).
 */
export async function startServer(server, round, { poolSize, cpuProf }) {
  server.prepare?.();
  const { freePort } = distModule('src/common/free-port.js');
  const port = await freePort();
  const env = cleanEnv({ PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: server.databaseUrl, DATABASE_POOL_SIZE: String(poolSize), ...server.env });
  const nodeArgs = [...server.nodeArgs];
  if (cpuProf) {
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
  running.removeCleanup = onCleanup(() => stopServer(running));

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

export async function stopServer(running) {
  if (running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill('SIGTERM');
    const timer = setTimeout(() => running.child.kill('SIGKILL'), 15_000);
    await running.exited;
    clearTimeout(timer);
  }
}

/** The server's resident memory now, in MB (null once it is gone). */
export function rssMb(pid) {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}
