import { access, chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { findNatsServerBinary, startPrivateNatsServer } from '../../src/config/private-nats-server.js';
import { startNatsServer } from '../helpers/nats-server.js';

const silent = pino({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'chainwatch-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('findNatsServerBinary', () => {
  it('prefers an executable nats-server on PATH', async () => {
    const dir = await tempDir();
    const fake = path.join(dir, 'nats-server');
    await writeFile(fake, '#!/bin/sh\n');
    await chmod(fake, 0o755);
    expect(findNatsServerBinary(`/nonexistent${path.delimiter}${dir}`)).toBe(fake);
  });

  it('skips a nats-server that is not executable', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'nats-server'), '');
    expect(findNatsServerBinary(dir)).not.toBe(path.join(dir, 'nats-server'));
  });

  it('falls back to /usr/sbin and /usr/local/bin when PATH has none', async () => {
    const found = findNatsServerBinary('');
    expect(found).toBeDefined();
    expect(['/usr/sbin/nats-server', '/usr/local/bin/nats-server']).toContain(found);
    await access(found as string);
  });
});

describe('startPrivateNatsServer', () => {
  it('starts a JetStream server on a loopback port and stops it, keeping the store', async () => {
    const storeDir = await tempDir();
    const server = await startPrivateNatsServer({ storeDir, logger: silent });
    cleanups.push(() => server.stop());
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);

    const nc = await connect({ servers: server.url });
    const manager = await jetstreamManager(nc);
    await manager.streams.add({ name: 'PROBE', subjects: ['probe.>'] });
    expect((await manager.getAccountInfo()).streams).toBe(1);
    await nc.close();

    await server.stop();
    expect(await accepts(server.port)).toBe(false);
    expect((await stat(path.join(storeDir, 'jetstream'))).isDirectory()).toBe(true);
    await server.stop();
  });

  it('gives two servers distinct ports', async () => {
    const first = await startPrivateNatsServer({ jetstream: false, logger: silent });
    cleanups.push(() => first.stop());
    const second = await startPrivateNatsServer({ jetstream: false, logger: silent });
    cleanups.push(() => second.stop());
    expect(first.port).not.toBe(second.port);
    expect(await accepts(first.port)).toBe(true);
    expect(await accepts(second.port)).toBe(true);
  });

  it('requires a store directory for JetStream', async () => {
    await expect(startPrivateNatsServer({ logger: silent })).rejects.toThrow(/storeDir is required/);
  });

  it('fails with the command line when the binary does not serve', async () => {
    await expect(
      startPrivateNatsServer({ jetstream: false, logger: silent, binary: '/bin/false', readyTimeoutMs: 2_000 }),
    ).rejects.toThrow(/failed to start after 3 attempts/);
  });
});

describe('startNatsServer (test helper)', () => {
  it('removes its JetStream tmpdir on stop', async () => {
    const server = await startNatsServer({ jetstream: true });
    const storeDir = server.storeDir as string;
    expect((await stat(storeDir)).isDirectory()).toBe(true);
    await server.stop();
    await expect(stat(storeDir)).rejects.toThrow(/ENOENT/);
    expect(await accepts(server.port)).toBe(false);
  });
});
