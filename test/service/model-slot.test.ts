import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUNDLED_MODEL } from '../../src/service/detection-setup.js';
import { ModelSlot } from '../../src/service/model-slot.js';
import type { ModelReloadOutcome } from '../../src/service/model-slot.js';
import type { LoadedModel } from '../../src/training/load-model.js';
import { waitFor } from '../helpers/wait-for.js';

/** Rewrites a model folder as a retrain would: another creation time and alert threshold, manifest last. */
async function retrain(dir: string, alertThreshold: number, createdAt: string): Promise<void> {
  const thresholdsFile = path.join(dir, 'thresholds.json');
  const thresholds = JSON.parse(await readFile(thresholdsFile, 'utf8'));
  thresholds.alert.threshold = alertThreshold;
  await writeFile(thresholdsFile, JSON.stringify(thresholds));
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
  await writeFile(manifestFile, JSON.stringify({ ...manifest, createdAt }));
}

describe('ModelSlot', () => {
  let root: string;
  let dir: string;
  let slot: ModelSlot | undefined;
  let accepted: LoadedModel[];

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'chainwatch-model-slot-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await slot?.close();
    dir = await mkdtemp(path.join(root, 'model-'));
    await cp(BUNDLED_MODEL, dir, { recursive: true });
    accepted = [];
    slot = await ModelSlot.open(dir, { accept: (model) => accepted.push(model), watchDebounceMs: 50 });
  });

  it('opens a folder and says which model it is', async () => {
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    expect(accepted).toEqual([slot!.current]);
    expect(slot!.summary).toMatchObject({
      dir,
      formatVersion: manifest.formatVersion,
      createdAt: manifest.createdAt,
      dataDigest: manifest.dataDigest,
      sessions: manifest.counts.sessions,
      clusters: manifest.counts.clusters,
      targetFpr: 0.01,
    });
  });

  it('keeps the running model when the folder holds the same one', async () => {
    const running = slot!.current;
    const outcome = await slot!.reload('api');
    expect(outcome).toMatchObject({ ok: true, changed: false, trigger: 'api' });
    expect(slot!.current).toBe(running);
    expect(accepted).toHaveLength(1);
    expect(slot!.counters).toEqual({ loaded: 0, unchanged: 1, rejected: 0 });
  });

  it('takes a retrained folder into use and frees the model before it', async () => {
    const tensorsBefore = tf.memory().numTensors;
    await retrain(dir, 0.5, '2026-12-07T12:00:00.000Z');
    const outcome = await slot!.reload('api');
    expect(outcome).toMatchObject({ ok: true, changed: true, model: { alertThreshold: 0.5, createdAt: '2026-12-07T12:00:00.000Z' } });
    expect(accepted).toHaveLength(2);
    expect(slot!.current).toBe(accepted[1]);
    expect(slot!.current.alertThreshold).toBe(0.5);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(slot!.counters.loaded).toBe(1);
  });

  it('leaves the running model in place when the folder does not load, naming the file', async () => {
    const running = slot!.current;
    await writeFile(path.join(dir, 'thresholds.json'), '{"formatVersion": 3, "scales": ');
    await retrain(dir, 0.5, '2026-12-07T12:00:00.000Z').catch(() => undefined);
    const outcome = await slot!.reload('api');
    expect(outcome.ok).toBe(false);
    expect(outcome.changed).toBe(false);
    expect(outcome.error).toContain(`${path.join(dir, 'thresholds.json')}: not valid JSON`);
    expect(outcome.model.createdAt).toBe(running.manifest.createdAt);
    expect(slot!.current).toBe(running);
    expect(slot!.lastOutcome).toBe(outcome);
    expect(slot!.counters.rejected).toBe(1);
  });

  it('keeps nothing it loaded of a folder it refuses', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const thresholdsFile = path.join(dir, 'thresholds.json');
    const thresholds = JSON.parse(await readFile(thresholdsFile, 'utf8'));
    await writeFile(thresholdsFile, JSON.stringify({ ...thresholds, risk: { ...thresholds.risk, values: [], ranks: [] } }));
    await retrain(dir, 0.5, '2026-12-07T12:00:00.000Z').catch(() => undefined);
    for (let i = 0; i < 3; i++) expect((await slot!.reload('api')).ok).toBe(false);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('leaves the running model in place when the service refuses the new one', async () => {
    const refusing = await ModelSlot.open(dir, {
      accept: (model) => {
        if (model.alertThreshold < 0.9) throw new Error('alert threshold below the configured pre-flight review threshold');
      },
    });
    try {
      const running = refusing.current;
      await retrain(dir, 0.5, '2026-12-07T12:00:00.000Z');
      const outcome = await refusing.reload('api');
      expect(outcome).toMatchObject({ ok: false, error: 'alert threshold below the configured pre-flight review threshold' });
      expect(refusing.current).toBe(running);
    } finally {
      await refusing.close();
    }
  });

  it('reloads when the manifest is rewritten', async () => {
    const heard: ModelReloadOutcome[] = [];
    slot!.onReload((outcome) => heard.push(outcome));
    await slot!.watch();
    await retrain(dir, 0.6, '2026-12-07T13:00:00.000Z');
    await waitFor('the reload the watch starts', () => heard.length > 0);
    expect(heard[0]).toMatchObject({ ok: true, changed: true, trigger: 'watch', model: { alertThreshold: 0.6 } });
  });
});
