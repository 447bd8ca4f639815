// Live changes (issue #12): many subscribers of one tenant on one gateway, and a writer changing a
// hub at a steady rate. Measures the delay from each write's acknowledgement (its HTTP answer at
// the writer) to each delivery, the gateway's RSS per open socket and its CPU with the sockets open.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { processCpuPercent } from './measure.mjs';
import { rssMb, startServer, stopServer } from './servers.mjs';
import { fail, say } from './support.mjs';

const SUBSCRIPTION = 'subscription Live($hubId: ID) { hubChanged(hubId: $hubId) { kind hub { hubId version } } }';

async function gauge(url, name) {
  const text = await (await globalThis.fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
}
const activeSubscriptions = (url) => gauge(url, 'graphql_ws_active_subscriptions');
/** V8's heap in use (prom-client's default metric): objects, where RSS also counts heap growth ahead of need. */
const heapUsedMb = async (url) => (await gauge(url, 'nodejs_heap_size_used_bytes')) / 2 ** 20;

const percentile = (sorted, p) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);

/**
 * `sockets` sockets with `perSocket` subscriptions each (one tenant; half follow the written hub
 * by id, half the whole tenant), then `writesPerSecond` PUTs of one hub for `seconds`.
 */
export async function measureLive(server, reader, { sockets, perSocket, writesPerSecond, seconds, poolSize, cpuProf }) {
  const running = await startServer({ ...server, id: `${server.id}-live` }, 0, { poolSize, cpuProf });
  const clients = [];
  try {
    const hubId = reader.hubIds[0];
    const arrivals = new Map();
    const open = () => {
      const client = createClient({
        url: `${running.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: `Bearer ${reader.token}` },
        lazy: false,
        retryAttempts: 0,
        onNonLazyError: () => undefined,
      });
      clients.push(client);
      for (let k = 0; k < perSocket; k++) {
        client.subscribe(
          { query: SUBSCRIPTION, variables: k % 2 === 0 ? { hubId } : {} },
          {
            next: ({ data }) => {
              if (data?.hubChanged.hub.hubId !== hubId) return;
              const version = data.hubChanged.hub.version;
              let times = arrivals.get(version);
              if (times === undefined) arrivals.set(version, (times = []));
              times.push(performance.now());
            },
            error: (error) => fail(`${server.label}: a subscription failed: ${JSON.stringify(error)}`),
            complete: () => undefined,
          },
        );
      }
    };
    const allSubscribed = async (count) => {
      const until = Date.now() + 30_000;
      while ((await activeSubscriptions(running.url)) < count) {
        if (Date.now() > until) fail(`${server.label}: fewer than ${count} subscriptions after 30 s`);
        await sleep(50);
      }
      await sleep(1000);
    };
    for (let s = 0; s < sockets; s++) open();
    const subscribers = sockets * perSocket;
    await allSubscribed(subscribers);
    const rssWithSockets = rssMb(running.pid);

    const acknowledged = new Map();
    const interval = 1000 / writesPerSecond;
    const writes = Math.round(seconds * writesPerSecond);
    const cpuBefore = processCpuPercent(running.pid);
    const started = performance.now();
    const pending = [];
    let failedWrites = 0;
    let firstFailure;
    for (let n = 0; n < writes; n++) {
      const due = started + n * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(
        globalThis.fetch(`${running.url}/api/v1/hubs/${hubId}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${reader.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ description: `live write ${n}` }),
        }).then(async (response) => {
          const at = performance.now();
          await response.arrayBuffer();
          if (response.status !== 200) {
            failedWrites++;
            firstFailure ??= `HTTP ${response.status}`;
            return;
          }
          acknowledged.set(Number(JSON.parse(response.headers.get('etag'))), at);
        }),
      );
    }
    await Promise.all(pending);
    await sleep(1000);
    const cpu = cpuBefore();
    const rssAfter = rssMb(running.pid);

    // Memory per socket, as the slope over many more sockets of the same kind: with only the
    // first hundred, a one-off step of the process's growth (a few MB) hides what each one costs.
    const extra = sockets * 4;
    const rssBefore = rssMb(running.pid);
    const heapBefore = await heapUsedMb(running.url);
    for (let s = 0; s < extra; s++) open();
    await allSubscribed(subscribers + extra * perSocket);
    const rssWithMore = rssMb(running.pid);
    const heapWithMore = await heapUsedMb(running.url);

    const delays = [];
    let delivered = 0;
    for (const [version, at] of acknowledged) {
      for (const arrival of arrivals.get(version) ?? []) {
        delays.push(arrival - at);
        delivered++;
      }
    }
    delays.sort((a, b) => a - b);
    const result = {
      sockets,
      subscribers,
      writes,
      failedWrites,
      firstFailure,
      expected: acknowledged.size * subscribers,
      delivered,
      p50: percentile(delays, 50),
      p99: percentile(delays, 99),
      max: delays.at(-1) ?? null,
      rssWithSocketsMb: rssWithSockets,
      rssAfterWritesMb: rssAfter,
      extraSockets: extra,
      kbPerSocket: ((rssWithMore - rssBefore) * 1024) / extra,
      heapKbPerSocket: ((heapWithMore - heapBefore) * 1024) / extra,
      serverCpuPercent: cpu,
    };
    say(
      `  live: ${subscribers} subscriptions on ${sockets} sockets, ${writes} writes at ${writesPerSecond}/s: ` +
        `${delivered}/${result.expected} delivered, p50 ${result.p50?.toFixed(2)} ms, p99 ${result.p99?.toFixed(2)} ms, ` +
        `RSS with the sockets ${rssWithSockets?.toFixed(0)} MB, ${result.kbPerSocket.toFixed(1)} KB per socket over ${extra} more (heap ${result.heapKbPerSocket.toFixed(1)} KB), CPU ${cpu} %`,
    );
    return result;
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await stopServer(running);
    running.removeCleanup();
  }
}
