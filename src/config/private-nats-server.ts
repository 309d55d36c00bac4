import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect as connectTcp, createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';

/** Where distributions put nats-server when it is not on PATH. */
const FALLBACK_DIRECTORIES = ['/usr/sbin', '/usr/local/bin'];
const LOOPBACK = '127.0.0.1';
const START_ATTEMPTS = 3;
const LOG_TAIL_LINES = 20;
const STOP_GRACE_MS = 5_000;

/** The first executable `nats-server` on PATH, then in /usr/sbin and /usr/local/bin. */
export function findNatsServerBinary(searchPath: string = process.env.PATH ?? ''): string | undefined {
  const directories = [...searchPath.split(path.delimiter).filter((dir) => dir !== ''), ...FALLBACK_DIRECTORIES];
  for (const directory of directories) {
    const candidate = path.join(directory, 'nats-server');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export interface PrivateNatsServerOptions {
  readonly logger: Logger;
  /** JetStream's store directory; required unless `jetstream` is false. Left in place on stop. */
  readonly storeDir?: string;
  /** Default true. */
  readonly jetstream?: boolean;
  /** Default: `findNatsServerBinary()`. */
  readonly binary?: string;
  /** How long to wait for the server to accept connections. Default 10 s. */
  readonly readyTimeoutMs?: number;
  /** A given loopback port (a server restarted where its clients reconnect); default a free one. */
  readonly port?: number;
}

export interface PrivateNatsServer {
  readonly url: string;
  readonly port: number;
  /** Terminates the server (SIGTERM, then SIGKILL after a grace period). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a nats-server child bound to a free loopback port and resolves once it accepts connections:
 * what `chainwatch serve` runs when no NATS URL is configured.
 */
export async function startPrivateNatsServer(options: PrivateNatsServerOptions): Promise<PrivateNatsServer> {
  const jetstream = options.jetstream ?? true;
  const storeDir = options.storeDir ?? '';
  if (jetstream && storeDir === '') {
    throw new Error('startPrivateNatsServer: storeDir is required when jetstream is enabled');
  }
  const jetstreamArgs = jetstream ? ['-js', '-sd', storeDir] : [];
  const binary = options.binary ?? findNatsServerBinary();
  if (binary === undefined) {
    throw new Error(
      `nats-server not found on PATH or in ${FALLBACK_DIRECTORIES.join(', ')}: install it or configure a NATS URL`,
    );
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  let lastError: Error | undefined;
  // The port is free when probed but could be taken before the child binds it; a retry covers that race.
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = options.port ?? (await freeLoopbackPort());
    const args = ['-a', LOOPBACK, '-p', String(port), ...jetstreamArgs];
    try {
      return await launch(binary, args, port, readyTimeoutMs, options.logger);
    } catch (error) {
      lastError = error as Error;
      options.logger.warn({ err: lastError, attempt, port }, 'private nats-server did not start');
    }
  }
  throw new Error(`private nats-server failed to start after ${START_ATTEMPTS} attempts`, { cause: lastError });
}

async function launch(
  binary: string,
  args: readonly string[],
  port: number,
  readyTimeoutMs: number,
  logger: Logger,
): Promise<PrivateNatsServer> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = logger.child({ component: 'nats-server', port });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      log.debug(line);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  // A child must not outlive its parent, even on process.exit().
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping = false;
  const outcome = await Promise.race([
    waitUntilAccepting(port, readyTimeoutMs).then((ready) => (ready ? 'ready' : 'timeout')),
    exited.then(() => 'exited' as const),
    spawnError.then((error) => error),
  ]);
  if (outcome !== 'ready') {
    process.removeListener('exit', killOnExit);
    child.kill('SIGKILL');
    const reason = outcome instanceof Error ? outcome.message : outcome;
    throw new Error(`nats-server ${args.join(' ')}: ${reason}\n${tail.join('\n')}`);
  }
  void exited.then(({ code, signal }) => {
    if (!stopping) log.error({ code, signal, tail }, 'private nats-server exited unexpectedly');
  });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const grace = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(grace);
      }
      process.removeListener('exit', killOnExit);
    })();
    return stopped;
  };
  log.info({ url: `nats://${LOOPBACK}:${port}` }, 'private nats-server started');
  return { url: `nats://${LOOPBACK}:${port}`, port, stop };
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free loopback port'))));
    });
  });
}

/** Polls until the server greets a client with its INFO line, or the deadline passes. */
async function waitUntilAccepting(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await greetsClient(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

function greetsClient(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: LOOPBACK, port });
    const finish = (greeted: boolean): void => {
      socket.destroy();
      resolve(greeted);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('data', (chunk) => finish(chunk.toString('latin1').startsWith('INFO ')));
  });
}
