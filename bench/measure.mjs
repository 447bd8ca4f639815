// One measured load run: the load generator (bench/load.mjs) on core 1, the server's RSS sampled
// every 100 ms, and CPU accounting from /proc: how busy the server's core was (is the run
// server-bound?), and how much CPU went to anything but the server, the load generator and our
// PostgreSQL (the noise of other work on the machine).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { rssMb } from './servers.mjs';
import { BENCH, fail, onCleanup, onCore, ROOT } from './support.mjs';

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

/** The CPU a process uses from now on, as per cent of one core, when the answer is called. */
export function processCpuPercent(pid) {
  const at = process.hrtime.bigint();
  const ticks = processTicks(pid)?.ticks ?? null;
  return () => {
    const now = processTicks(pid)?.ticks ?? null;
    if (ticks === null || now === null) return null;
    const seconds = Number(process.hrtime.bigint() - at) / 1e9;
    return Math.round((100 * (now - ticks)) / TICKS_PER_SECOND / seconds);
  };
}

/** bench/load.mjs, started once on core 1 and kept for every run (no Node start-up per scenario). */
export function startLoadGenerator() {
  const [command, argv] = onCore(1, [process.execPath, join(BENCH, 'load.mjs')]);
  const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return child;
}

export async function runLoad(loader, running, scenario, namePrefix, pidFile, { connections, warmupSeconds, durationSeconds }) {
  const spec = {
    url: running.url,
    connections: scenario.connections ?? connections,
    warmupSeconds,
    durationSeconds,
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
      const timeLimit = (warmupSeconds + durationSeconds + 120) * 1000;
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
