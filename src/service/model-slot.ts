import { join } from 'node:path';
import { FileWatchSlot } from '../config/file-watch-slot.js';
import { MODEL_FILES } from '../training/model-files.js';
import { loadModel } from '../training/load-model.js';
import type { LoadedModel } from '../training/load-model.js';

/** Which model is scoring: what `GET /v1/model` answers and what a reload reports. */
export interface ModelSummary {
  readonly dir: string;
  readonly formatVersion: number;
  /** When `chainwatch train` wrote it (ISO-8601). */
  readonly createdAt: string;
  readonly dataDigest: string;
  readonly sessions: number;
  readonly clusters: number;
  readonly agents: number;
  readonly alertThreshold: number;
  /** The share of normal sessions the alert threshold was set to let through. */
  readonly targetFpr: number;
  /** When this service loaded it (ISO-8601). */
  readonly loadedAt: string;
}

/** What a reload did. A folder that fails to load, or is refused, leaves the running model in place. */
export interface ModelReloadOutcome {
  /** True when the folder loaded and was accepted (or already was the model in use). */
  readonly ok: boolean;
  /** True when a different model now scores; false when the folder held the running one (same digest and creation time). */
  readonly changed: boolean;
  /** The model in use after this attempt. */
  readonly model: ModelSummary;
  /** Why the folder was not taken, naming the file. */
  readonly error?: string;
  /** ISO-8601 */
  readonly at: string;
  /** What started it: `watch`, `api`, ... */
  readonly trigger: string;
}

export interface ModelSlotOptions {
  /** Progress of a load (the TensorFlow.js backend in use). */
  readonly log?: (message: string) => void;
  /**
   * Takes a freshly loaded model into use, or throws to refuse it (its message becomes the outcome's
   * error). Called for every model that changes, before listeners hear of it.
   */
  readonly accept: (model: LoadedModel) => void;
  /** Quiet time after the manifest changes before reloading. */
  readonly watchDebounceMs?: number;
}

/**
 * The model folder a service scores with, reloadable without a restart: after `chainwatch train --out`
 * rewrites the folder (the manifest is written last), or on `POST /v1/model/reload`. Reloads are
 * serialized; a folder that does not load, or that `accept` refuses, leaves the running model in place.
 */
export class ModelSlot {
  readonly counters = { loaded: 0, unchanged: 0, rejected: 0 };
  private chain: Promise<unknown> = Promise.resolve();
  private readonly fileWatch = new FileWatchSlot();
  private last: ModelReloadOutcome | undefined;
  private readonly listeners = new Set<(outcome: ModelReloadOutcome) => void>();

  private constructor(
    readonly dir: string,
    private model: LoadedModel,
    private info: ModelSummary,
    private readonly options: ModelSlotOptions,
  ) {}

  /** Loads the folder; a bad one stops start-up with the error naming the file. */
  static async open(dir: string, options: ModelSlotOptions): Promise<ModelSlot> {
    const model = await loadModel(dir, options.log);
    try {
      options.accept(model);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return new ModelSlot(dir, model, summarize(dir, model), options);
  }

  get current(): LoadedModel {
    return this.model;
  }

  get summary(): ModelSummary {
    return this.info;
  }

  /** The latest reload's outcome, undefined before the first. */
  get lastOutcome(): ModelReloadOutcome | undefined {
    return this.last;
  }

  onReload(listener: (outcome: ModelReloadOutcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  reload(trigger = 'reload'): Promise<ModelReloadOutcome> {
    const next = this.chain.then(() => this.load(trigger));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Reloads when the folder's manifest changes. Idempotent. */
  watch(): Promise<void> {
    return this.fileWatch.start([join(this.dir, MODEL_FILES.manifest)], () => void this.reload('watch'), {
      debounceMs: this.options.watchDebounceMs ?? 500,
    });
  }

  /** Stops watching, waits for a reload in progress and frees the model. */
  async close(): Promise<void> {
    await this.fileWatch.close();
    await this.chain;
    this.model.dispose();
  }

  private async load(trigger: string): Promise<ModelReloadOutcome> {
    let outcome: ModelReloadOutcome;
    try {
      const loaded = await loadModel(this.dir, this.options.log);
      const changed = !sameModel(loaded, this.model);
      if (changed) {
        try {
          this.options.accept(loaded);
        } catch (error) {
          loaded.dispose();
          throw error;
        }
        // The detectors of the model before are no longer called: the scoring stage uses the new ones.
        this.model.dispose();
        this.model = loaded;
        this.info = summarize(this.dir, loaded);
      } else {
        loaded.dispose();
      }
      outcome = { ok: true, changed, model: this.info, at: new Date().toISOString(), trigger };
    } catch (error) {
      outcome = { ok: false, changed: false, model: this.info, error: (error as Error).message, at: new Date().toISOString(), trigger };
    }
    this.last = outcome;
    this.counters[!outcome.ok ? 'rejected' : outcome.changed ? 'loaded' : 'unchanged']++;
    for (const listener of this.listeners) {
      try {
        listener(outcome);
      } catch {
        // A listener's failure must not undo or hide the reload.
      }
    }
    return outcome;
  }
}

function sameModel(a: LoadedModel, b: LoadedModel): boolean {
  return a.manifest.dataDigest === b.manifest.dataDigest && a.manifest.createdAt === b.manifest.createdAt;
}

function summarize(dir: string, model: LoadedModel): ModelSummary {
  const { manifest, thresholds } = model;
  return {
    dir,
    formatVersion: manifest.formatVersion,
    createdAt: manifest.createdAt,
    dataDigest: manifest.dataDigest,
    sessions: manifest.counts.sessions,
    clusters: manifest.counts.clusters,
    agents: manifest.counts.agents,
    alertThreshold: thresholds.alert.threshold,
    targetFpr: thresholds.alert.targetFpr,
    loadedAt: new Date().toISOString(),
  };
}
