import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileWatchSlot } from '../../src/config/file-watch-slot.js';
import { sleep, waitFor } from '../helpers/wait-for.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function watchedFile(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'chainwatch-watch-slot-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'rules.yaml');
  await writeFile(file, '0');
  return file;
}

describe('FileWatchSlot', () => {
  it('shares one watch between concurrent starts', async () => {
    const file = await watchedFile();
    const slot = new FileWatchSlot();
    cleanups.push(() => slot.close());
    let calls = 0;
    await Promise.all([slot.start([file], () => calls++, { debounceMs: 20 }), slot.start([file], () => calls++, { debounceMs: 20 })]);
    await writeFile(file, '1');
    await waitFor('a callback', () => calls > 0);
    await sleep(150);
    expect(calls).toBe(1);
  });

  it('closes the watch a start was opening when it is closed before the start is done', async () => {
    const file = await watchedFile();
    const slot = new FileWatchSlot();
    let calls = 0;
    const starting = slot.start([file], () => calls++, { debounceMs: 20 });
    await slot.close();
    await starting;
    await writeFile(file, '1');
    await sleep(200);
    expect(calls).toBe(0);
  });
});
