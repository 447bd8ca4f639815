import { execFileSync, spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/common/paths';
import { withoutGatewayConfig } from '../../src/config/config';

/**
 * The built entry points (`npm run build`, done by `pretest`) run as separate processes, exactly
 * as `npm start`, `npm run token` and `npm run migrate` run them.
 */
const DIST = join(projectRoot(), 'dist', 'src');

/** The machine's environment without anything that configures the gateway or these tests. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = withoutGatewayConfig(process.env);
  for (const key of Object.keys(env)) if (key.startsWith('HUBS_TEST_')) delete env[key];
  return { ...env, LOG_LEVEL: 'warn', ...extra };
}

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one built script to its end. */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv, cwd = projectRoot()): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(DIST, script), ...args], { env, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A running `npm start`, once it has printed its banner. */
export interface StartedGateway {
  readonly child: ChildProcessWithoutNullStreams;
  readonly graphqlUrl: string;
  readonly restUrl: string;
  /** The printed dev token; only on the embedded default. */
  readonly token: string | undefined;
  readonly output: () => string;
}

/** Starts `dist/src/main.js` and resolves once its banner shows the URLs (and the token, when one is printed). */
export function startMain(cwd: string, env: NodeJS.ProcessEnv): Promise<StartedGateway> {
  return startUntilBanner(spawn(process.execPath, [join(DIST, 'main.js')], { cwd, env }), env);
}

/**
 * Starts `npm start` in the project folder, exactly as a person or a container runtime does, and
 * resolves once the gateway's banner is out. `child` is the npm process.
 */
export function startNpm(env: NodeJS.ProcessEnv): Promise<StartedGateway> {
  return startUntilBanner(spawn('npm', ['start'], { cwd: projectRoot(), env }), env);
}

function startUntilBanner(child: ChildProcessWithoutNullStreams, env: NodeJS.ProcessEnv): Promise<StartedGateway> {
  const expectToken = env.DATABASE_URL === undefined && env.AUTH_JWT_SECRET === undefined;
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const graphqlUrl = /GraphQL:\s+(http:\/\/\S+\/graphql)/.exec(output)?.[1];
      const restUrl = /REST:\s+(http:\/\/\S+\/api\/v1\/hubs)/.exec(output)?.[1];
      const token = /^export TOKEN=(\S+)$/m.exec(output)?.[1];
      if (graphqlUrl && restUrl && (token || !expectToken)) resolve({ child, graphqlUrl, restUrl, token, output: () => output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => reject(new Error(`exited with ${code} before its banner:\n${output}`)));
  });
}

/** The processes a process started, from Linux's /proc (empty where there is none). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** True while a process of that id exists. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends a signal and resolves with the exit code. */
export function stopMain(started: StartedGateway, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.removeAllListeners('close');
    started.child.on('close', (code) => resolve(code));
    started.child.kill(signal);
  });
}

/** A Debian package's program, installed when missing (as `.ci/run` does), so a test needs no preparation. */
export function ensureDebianPackage(program: string, packageName: string): void {
  if (existsSync(program)) return;
  execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packageName}`], { stdio: 'ignore', timeout: 300_000 });
}

/** Stops a server the test started (PgBouncer, HAProxy, Redis) and waits for its exit; at once when it has exited already. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
