import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileWatch } from '../../src/config/file-watch.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'chainwatch-watch-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FileWatch', () => {
  it('calls back once for a burst of writes, and only for the files it watches', async () => {
    const dir = await tempDir();
    const watched = path.join(dir, 'jwks.json');
    await writeFile(watched, '1');
    let calls = 0;
    const fileWatch = await FileWatch.start([watched], () => calls++, { debounceMs: 50 });
    cleanups.push(async () => fileWatch.close());

    await writeFile(path.join(dir, 'other.json'), 'x');
    await sleep(150);
    expect(calls).toBe(0);
    for (let i = 0; i < 5; i++) await writeFile(watched, String(i));
    await waitFor('one callback', () => calls === 1);
    await sleep(150);
    expect(calls).toBe(1);
  });

  it('watches the files a directory filter accepts, and nothing after close', async () => {
    const dir = await tempDir();
    let calls = 0;
    const fileWatch = await FileWatch.start([dir], () => calls++, { debounceMs: 20, inDirectory: (name) => name.endsWith('.yaml') });
    await writeFile(path.join(dir, 'notes.txt'), 'x');
    await sleep(120);
    expect(calls).toBe(0);
    await writeFile(path.join(dir, 'local.yaml'), 'version: 1');
    await waitFor('a callback for the yaml file', () => calls === 1);
    fileWatch.close();
    await writeFile(path.join(dir, 'local.yaml'), 'version: 1\n');
    await sleep(120);
    expect(calls).toBe(1);
  });

  it('skips paths that do not exist and still watches the others', async () => {
    const dir = await tempDir();
    const present = path.join(dir, 'jwks.json');
    await writeFile(present, '1');
    let calls = 0;
    const fileWatch = await FileWatch.start([path.join(dir, 'missing', 'rules.yaml'), present], () => calls++, { debounceMs: 20 });
    cleanups.push(async () => fileWatch.close());
    await writeFile(present, '2');
    await waitFor('a callback for the file that exists', () => calls === 1);
  });
});
