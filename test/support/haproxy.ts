import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/common/free-port';
import { ensureDebianPackage, stopChild } from './processes';

const HAPROXY = '/usr/sbin/haproxy';

/** A HAProxy of the test's own in front of gateway instances: a child process with its own config and port. */
export interface OwnHaproxy {
  readonly url: string;
  /** Each server's state as HAProxy sees it (`UP`, `DOWN`, ...), by name, from its stats socket. */
  states(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * The balancer settings of docs/scaling.md: a readiness check every 500 ms that takes a server out
 * after one failure, and retries on another server for a request that never got an answer (a
 * connection refused, or closed before any byte of the answer), which is what a balancer sees at
 * the instant an instance stops.
 */
export function haproxyConfig(port: number, socket: string, servers: readonly { name: string; port: number }[]): string {
  return [
    'global',
    '  maxconn 2000',
    `  stats socket ${socket} mode 600 level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response',
    'frontend gateway',
    `  bind 127.0.0.1:${port}`,
    '  default_backend gateways',
    'backend gateways',
    '  balance roundrobin',
    '  option httpchk GET /health/ready',
    '  http-check expect status 200',
    '  default-server inter 500ms fall 1 rise 1',
    ...servers.map((server) => `  server ${server.name} 127.0.0.1:${server.port} check`),
    '',
  ].join('\n');
}

export async function startHaproxy(servers: readonly { name: string; port: number }[]): Promise<OwnHaproxy> {
  ensureDebianPackage(HAPROXY, 'haproxy');
  const port = await freePort();
  const folder = await mkdtemp(join(tmpdir(), 'hubs-haproxy-'));
  const socket = join(folder, 'stats.sock');
  const config = join(folder, 'haproxy.cfg');
  await writeFile(config, haproxyConfig(port, socket, servers));
  let output = '';
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(`${url}/health/live`);
      break;
    } catch (error) {
      if (attempt >= 50 || child.exitCode !== null) throw new Error(`HAProxy did not start: ${output}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const states = async () => {
    const csv = await new Promise<string>((resolve, reject) => {
      let text = '';
      const connection = connect(socket, () => connection.write('show stat\n'));
      connection.on('data', (chunk: Buffer) => (text += chunk.toString()));
      connection.on('end', () => resolve(text));
      connection.on('error', reject);
    });
    const rows = csv.split('\n').filter((line) => line.startsWith('gateways,'));
    return Object.fromEntries(rows.map((line) => line.split(',')).map((fields) => [fields[1]!, fields[17]!]));
  };
  return {
    url,
    states,
    stop: async () => {
      await stopChild(child, 'SIGTERM');
      await rm(folder, { recursive: true, force: true });
    },
  };
}
