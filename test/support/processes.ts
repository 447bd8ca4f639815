import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/common/paths';

/**
 * The built entry points (`npm run build`, done by `pretest`) run as separate processes, exactly
 * as `npm start`, `npm run token` and `npm run migrate` run them.
 */
const DIST = join(projectRoot(), 'dist', 'src');

/** The machine's environment without anything that configures the gateway. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(DATABASE_|AUTH_|HUBS_TEST_|PORT$|HOST$|MIGRATIONS_RUN$|RATE_LIMIT_|REDIS_URL$)/.test(key)) delete env[key];
  }
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
  const child = spawn(process.execPath, [join(DIST, 'main.js')], { cwd, env });
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

/** Sends a signal and resolves with the exit code. */
export function stopMain(started: StartedGateway, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.removeAllListeners('close');
    started.child.on('close', (code) => resolve(code));
    started.child.kill(signal);
  });
}
