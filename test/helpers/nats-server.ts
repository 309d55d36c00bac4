import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { startPrivateNatsServer } from '../../src/config/private-nats-server.js';

export interface TestNatsServer {
  readonly url: string;
  readonly port: number;
  /** The JetStream store, removed on stop; undefined without JetStream. */
  readonly storeDir: string | undefined;
  /** Kills the server and removes its JetStream store. */
  stop(): Promise<void>;
}

/** A real nats-server on a free loopback port; with JetStream, its store lives in a fresh tmpdir. */
export async function startNatsServer(options: { jetstream?: boolean; port?: number } = {}): Promise<TestNatsServer> {
  const jetstream = options.jetstream ?? false;
  const storeDir = jetstream ? await mkdtemp(path.join(tmpdir(), 'chainwatch-nats-')) : undefined;
  const removeStore = async (): Promise<void> => {
    if (storeDir !== undefined) await rm(storeDir, { recursive: true, force: true });
  };
  try {
    const server = await startPrivateNatsServer({ logger: pino({ level: 'silent' }), jetstream, storeDir, ...(options.port === undefined ? {} : { port: options.port }) });
    return {
      url: server.url,
      port: server.port,
      storeDir,
      stop: async () => {
        await server.stop();
        await removeStore();
      },
    };
  } catch (error) {
    await removeStore();
    throw error;
  }
}

/**
 * One server for a test file: started in `beforeAll`, stopped in `afterAll`.
 * Call the returned function inside tests to reach it.
 */
export function useNatsServer(options: { jetstream?: boolean } = {}): () => TestNatsServer {
  let server: TestNatsServer | undefined;
  beforeAll(async () => {
    server = await startNatsServer(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined) throw new Error('useNatsServer: the server is only available inside tests');
    return server;
  };
}
