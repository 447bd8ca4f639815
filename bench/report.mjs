// The report: medians over rounds, the tables (against the limit and the peer, the scale runs,
// the targets), the machine it ran on, and bench/results.json.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import process from 'node:process';
import { cores, PINNED, say, warn } from './support.mjs';

export const median = (values) => {
  const sorted = values.filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Requests of a run that did not succeed, whatever the reason. */
export const failedRequests = (run) => run.non2xx + run.errors + run.timeouts + run.graphqlErrors;

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
      failed: group.reduce((n, r) => n + failedRequests(r), 0),
      requests: group.reduce((n, r) => n + r.requests, 0),
    };
  }
  return summary;
}

export const fmt = {
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

/** A ratio with its goal and the verdict, as one table cell: "0.84x (>= 0.80 met)". */
function judged(value, goal, atMost = false) {
  if (value === null || value === undefined) return '-';
  const met = atMost ? value <= goal : value >= goal;
  return `${fmt.ratio(value)} (${atMost ? '<=' : '>='} ${goal.toFixed(2)} ${met ? 'met' : 'MISSED'})`;
}

const SERVER_LABELS = { gateway: 'gateway', limit: 'limit', peer: 'peer (PostGraphile)' };
const SCALE_ROWS = [
  ['REST get one hub', 'rest-get'],
  ['REST page of 50 + total', 'rest-page'],
  ['GraphQL hub', 'gql-hub'],
  ['GraphQL hubs page of 50 + total', 'gql-hubs'],
];

/** [scenario, server, kind, vs limit | null, vs peer | null], each comparison [server, kind, goal, target name]. */
function comparisonRows(goals) {
  return [
    ['REST get one hub', 'gateway', 'rest-get', ['limit', 'rest-get', goals.restGetVsLimit, 'REST get vs limit'], null],
    ['REST get one hub', 'limit', 'rest-get', null, null],
    ['REST page of 50 + total', 'gateway', 'rest-page', ['limit', 'rest-page', goals.restPageVsLimit, 'REST page vs limit'], null],
    ['REST page of 50 + total', 'limit', 'rest-page', null, null],
    ['REST create', 'gateway', 'rest-create', ['limit', 'rest-create', goals.createVsLimit, 'REST create vs limit'], null],
    ['REST create', 'limit', 'rest-create', null, null],
    ['GraphQL hub', 'gateway', 'gql-hub', ['limit', 'rest-get', goals.graphqlVsLimit, 'GraphQL hub vs limit (REST get)'], ['peer', 'peer-hub', goals.graphqlVsPeer, 'GraphQL hub vs peer']],
    ['GraphQL hub', 'peer', 'peer-hub', null, null],
    ['GraphQL hubs page of 50 + total', 'gateway', 'gql-hubs', ['limit', 'rest-page', goals.graphqlVsLimit, 'GraphQL hubs vs limit (REST page)'], ['peer', 'peer-hubs', goals.graphqlVsPeer, 'GraphQL hubs vs peer']],
    ['GraphQL hubs page of 50 + total', 'peer', 'peer-hubs', null, null],
    ['GraphQL hubConnection page of 50', 'gateway', 'gql-conn', ['limit', 'rest-page', goals.graphqlVsLimit, 'GraphQL hubConnection vs limit (REST page)'], ['peer', 'peer-conn', goals.graphqlVsPeer, 'GraphQL hubConnection vs peer']],
    ['GraphQL hubConnection page of 50', 'peer', 'peer-conn', null, null],
    ['GraphQL hubsByIds of 50', 'gateway', 'gql-by-ids', null, null],
    ['GraphQL createHub', 'gateway', 'gql-create', ['limit', 'rest-create', goals.createVsLimit, 'GraphQL createHub vs limit (REST create)'], null],
  ];
}

function machineInfo({ loadAtStart, pgVersion, embedded, runs }) {
  const cpuModel = /model name\s*:\s*(.+)/.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    cpu: cpuModel,
    cores,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: `${pgVersion}${embedded ? ' (embedded, fsync off)' : ' (DATABASE_URL)'}`,
    pinned: PINNED,
    loadAverageAtStart: loadAtStart.map((l) => Number(l.toFixed(2))),
    loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
    otherWorkCpuPercentMedian: median(runs.map((r) => r.cpu?.other)),
  };
}

/**
 * Prints the tables and writes `out`. `datasets` describes the small and (with scale runs) the
 * large dataset; `timing` has the start of the whole run and the seconds spent under load.
 */
export async function report({ runs, live, config, goals, datasets, database, timing, out }) {
  const { small, large } = datasets;
  const summary = summarise(runs);
  const s = (server, kind) => summary[`${server}/${kind}`];
  const ratio = (a, b) => (a && b && a.rps && b.rps ? a.rps / b.rps : null);
  const p50Ratio = (a, b) => (a && b && a.p50 && b.p50 ? a.p50 / b.p50 : null);
  const targets = [];
  const target = (name, value, goal, atMost = false) => {
    if (value === null || value === undefined) return;
    targets.push({ name, value: Number(value.toFixed(4)), goal, comparison: atMost ? '<=' : '>=', met: atMost ? value <= goal : value >= goal });
  };

  const tableRows = [];
  for (const [label, server, kind, vsLimit, vsPeer] of comparisonRows(goals)) {
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
  if (large !== null) {
    for (const [label, kind] of SCALE_ROWS) {
      const smallRow = s('gateway', kind);
      const largeRow = s('gateway-large', kind);
      if (!smallRow || !largeRow) continue;
      const value = p50Ratio(largeRow, smallRow);
      scaleRows.push([label, fmt.rps(smallRow.rps), fmt.ms(smallRow.p50), fmt.rps(largeRow.rps), fmt.ms(largeRow.p50), fmt.ms(largeRow.p99), fmt.mb(largeRow.rssMb), judged(value, goals.scaleP50Ratio, true)]);
      target(`${label}: p50 ${large.label} / ${small.label}`, value, goals.scaleP50Ratio, true);
    }
  }
  const scaleTable = markdownTable(
    ['gateway, per tenant', `req/s ${small.label}`, `p50 ms ${small.label}`, `req/s ${large?.label}`, `p50 ms ${large?.label}`, `p99 ms ${large?.label}`, 'RSS MB', 'p50 ratio'],
    scaleRows,
  );

  // Paging deep into one large tenant: a keyset page costs the same at any depth, an OFFSET page
  // reads and drops every hub before it.
  const depth = config.deepDepth.toLocaleString('en-US');
  const deepRow = (kind) => s('gateway-deep', kind);
  const deepRows = [
    ['hubConnection page of 50, depth 0', 'gql-conn-first', null],
    [`hubConnection page of 50, depth ${depth}`, 'gql-conn-deep', 'gql-conn-first'],
    ['hubConnection page of 50, nameContains (4 hex digits)', 'gql-conn-name', null],
    ['REST page of 50 + total (OFFSET), depth 0', 'rest-page-first', null],
    [`REST page of 50 + total (OFFSET), depth ${depth}`, 'rest-page-deep', 'rest-page-first'],
  ]
    .filter(([, kind]) => deepRow(kind))
    .map(([label, kind, against]) => {
      const row = deepRow(kind);
      const value = against === null ? null : p50Ratio(row, deepRow(against));
      if (kind === 'gql-conn-deep') target(`hubConnection: p50 depth ${depth} / depth 0`, value, goals.keysetDepthP50Ratio, true);
      const verdict = kind === 'gql-conn-deep' ? judged(value, goals.keysetDepthP50Ratio, true) : fmt.ratio(value);
      return [label, fmt.rps(row.rps), fmt.ms(row.p50), fmt.ms(row.p99), fmt.mb(row.rssMb), against === null ? '' : verdict];
    });
  const deepTable = markdownTable(['gateway, one tenant', 'req/s', 'p50 ms', 'p99 ms', 'RSS MB', 'p50 vs depth 0'], deepRows);

  // Creates with and without announcements (pg_notify in the writing statement).
  const quietRows = [
    ['REST create', 'rest-create'],
    ['GraphQL createHub', 'gql-create'],
  ]
    .filter(([, kind]) => s('gateway', kind) && s('gateway-quiet', kind))
    .map(([label, kind]) => {
      const [announcing, quiet] = [s('gateway', kind), s('gateway-quiet', kind)];
      return [label, fmt.rps(quiet.rps), fmt.rps(announcing.rps), fmt.ratio(ratio(announcing, quiet)), fmt.ms(quiet.p50), fmt.ms(announcing.p50)];
    });
  const quietTable = markdownTable(['create', 'req/s without announcements', 'req/s with', 'with / without', 'p50 ms without', 'p50 ms with'], quietRows);
  // Tracing's cost: the same reads untraced, and traced with every request or one in ten sampled.
  const tracedRows = [
    ['REST get one hub', 'rest-get'],
    ['GraphQL hub', 'gql-hub'],
  ]
    .filter(([, kind]) => s('gateway', kind) && (s('gateway-traced', kind) || s('gateway-traced-10', kind)))
    .flatMap(([label, kind]) =>
      [
        ['off', 'gateway'],
        ['100 %', 'gateway-traced'],
        ['10 %', 'gateway-traced-10'],
      ]
        .filter(([, server]) => s(server, kind))
        .map(([sampled, server]) => {
          const [row, off] = [s(server, kind), s('gateway', kind)];
          return [label, sampled, fmt.rps(row.rps), fmt.ms(row.p50), fmt.ms(row.p99), fmt.mb(row.rssMb), fmt.cpu(row), server === 'gateway' ? '' : fmt.ratio(ratio(row, off)), server === 'gateway' ? '' : fmt.ratio(p50Ratio(row, off))];
        }),
    );
  const tracedTable = markdownTable(['scenario', 'traced', 'req/s', 'p50 ms', 'p99 ms', 'RSS MB', 'CPU % server / other', 'req/s vs off', 'p50 vs off'], tracedRows);
  if (live !== null && live !== undefined) {
    target('live: p99 ms from acknowledgement to delivery', live.p99, goals.liveP99Ms, true);
    target('live: RSS KB per open socket', live.kbPerSocket, goals.liveKbPerSocket, true);
  }
  const liveTable =
    live === null || live === undefined
      ? null
      : markdownTable(
          ['subscriptions', 'sockets', 'writes', 'delivered / expected', 'p50 ms', 'p99 ms', 'max ms', 'RSS MB with the sockets', 'KB per socket (RSS / heap)', 'CPU % server'],
          [[live.subscribers, live.sockets, `${live.writes} at ${config.live.writesPerSecond}/s`, `${live.delivered} / ${live.expected}`, fmt.ms(live.p50), fmt.ms(live.p99), fmt.ms(live.max), fmt.mb(live.rssWithSocketsMb), `${live.kbPerSocket.toFixed(1)} / ${live.heapKbPerSocket.toFixed(1)} (over ${live.extraSockets} more)`, live.serverCpuPercent ?? '-']],
        );

  const gatewayRss = Math.max(...runs.filter((r) => r.serverId.startsWith('gateway')).map((r) => r.rssMb));
  if (Number.isFinite(gatewayRss)) target('gateway RSS max (MB)', gatewayRss, goals.gatewayRssMb, true);
  const targetTable = markdownTable(
    ['target', 'measured', 'goal', ''],
    targets.map((t) => [t.name, t.name.includes('MB') ? t.value.toFixed(0) : `${t.value.toFixed(2)}${t.comparison === '>=' ? 'x' : ''}`, `${t.comparison} ${t.name.includes('MB') ? t.goal : t.goal.toFixed(2)}`, t.met ? 'met' : 'MISSED']),
  );

  const machine = machineInfo({ ...database, runs });
  const totalSeconds = (Date.now() - timing.startedAt) / 1000;
  const tenants = (n) => n.toLocaleString('en-US');

  say();
  say(`Results (${config.mode}; median of ${config.rounds} round(s); req/s of successful answers; RSS is the server's max VmRSS during load;`);
  say(`CPU %: of one core during the measured run, for the server, and for other work on the machine (not the server, load generator or our PostgreSQL))`);
  say();
  say(table);
  say();
  if (scaleRows.length > 0) {
    say(`Scale: the same reads of one tenant (${config.hubsPerTenant} hubs) among ${large.label} in ${tenants(large.tenants)} tenants vs ${small.label} in ${small.tenants}`);
    say();
    say(scaleTable);
    say();
  }
  if (deepRows.length > 0) {
    const deepConnections = runs.find((run) => run.serverId === 'gateway-deep')?.connections;
    say(`Depth: pages of ${datasets.deep.label} (among no other tenants' hubs), ${deepConnections} connections`);
    say();
    say(deepTable);
    say();
  }
  if (quietRows.length > 0) {
    say('Announcements: creates with pg_notify in their statement, and on a database where hubs_announce does nothing');
    say();
    say(quietTable);
    say();
  }
  if (tracedRows.length > 0) {
    say('Tracing: OTLP http/protobuf to a sink that answers 200; sampled always_on (100 %) and parentbased_traceidratio 0.1 (10 %)');
    say();
    say(tracedTable);
    say();
  }
  if (liveTable !== null) {
    say('Live changes: one tenant\'s subscribers on one gateway, a writer changing one hub (delay from each write\'s HTTP answer to each delivery)');
    say();
    say(liveTable);
    say();
  }
  say(targetTable);
  say();
  say(`Machine: ${machine.cpu}, ${cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, PostgreSQL ${machine.postgres}`);
  say(`Load average at start ${machine.loadAverageAtStart.join(' ')}, at end ${machine.loadAverageAtEnd.join(' ')}`);
  say(`Datasets: ${small.label} in ${small.tenants} tenants${large !== null ? `; ${large.label} in ${tenants(large.tenants)} tenants` : ''} (${config.hubsPerTenant} hubs per tenant)`);
  say(`Took ${totalSeconds.toFixed(0)} s (${timing.loadSeconds.toFixed(0)} s of load). Written: ${out}`);
  const noise = machine.otherWorkCpuPercentMedian;
  if (noise !== null && noise > 25) {
    warn(`other work on the machine used ${noise}% of a core (median) during the measured runs: these numbers are noisy; measure again on a quiet machine.`);
  }
  if (config.mode === 'smoke') say('Smoke run: durations too short for meaningful numbers; it only proves the harness works.');

  const results = {
    issue: '#5',
    mode: config.mode,
    date: new Date(timing.startedAt).toISOString(),
    durationSeconds: Number(totalSeconds.toFixed(1)),
    config,
    targets: goals,
    machine,
    datasets: {
      small: { hubs: small.tenants * config.hubsPerTenant, tenants: small.tenants },
      large: large === null ? null : { hubs: large.tenants * config.hubsPerTenant, tenants: large.tenants, readTenants: large.readTenants },
      deep: { hubs: config.deepHubs, tenants: 1, depth: config.deepDepth },
    },
    summary,
    checks: targets,
    table,
    scaleTable: scaleRows.length > 0 ? scaleTable : null,
    deepTable: deepRows.length > 0 ? deepTable : null,
    quietTable: quietRows.length > 0 ? quietTable : null,
    tracedTable: tracedRows.length > 0 ? tracedTable : null,
    live: live ?? null,
    liveTable,
    targetTable,
    runs,
  };
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
}
