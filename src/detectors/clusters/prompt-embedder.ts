import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_PROMPT_FEATURES, promptFeatures, type PromptFeatureOptions, type SparseVector } from './prompt-features.js';
import { folderIoHandler } from './folder-io-handler.js';
import { l2Normalize } from './tool-usage.js';
import { seededRandom, shuffleInPlace } from './seeded-random.js';

export interface PromptEmbedderOptions {
  readonly features: PromptFeatureOptions;
  readonly hiddenUnits: number;
  readonly embeddingUnits: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
}

export const DEFAULT_EMBEDDER_OPTIONS: PromptEmbedderOptions = {
  features: DEFAULT_PROMPT_FEATURES,
  hiddenUnits: 128,
  embeddingUnits: 32,
  epochs: 80,
  batchSize: 32,
  learningRate: 0.003,
  seed: 1,
};

/** A prompt and what its session did: presence over a usage vocabulary (see `UsageVocabulary`). */
export interface EmbedderExample {
  readonly prompt: string;
  readonly usage: Float32Array;
}

export type EmbedderProgress = (epoch: number, epochs: number, loss: number) => void;

interface DenseWeights {
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly inputs: number;
  readonly units: number;
}

const META_FILE = 'embedder.json';
const EMBEDDER_FORMAT = 'chainwatch.prompt-embedder/1';
const EMBEDDING_LAYER = 'embedding';
const PREDICT_BATCH = 1024;

/**
 * Embeds prompts so that prompts whose sessions use tools alike land close together: hashed word and
 * character n-grams -> dense(relu) -> dense(tanh) "embedding" -> dense(sigmoid) predicting the session's
 * tool, category and transition presence. The embedding is the tanh layer, L2-normalized.
 *
 * `embed` runs the first two layers in plain JS over the sparse input (no tensor set-up: the hot path);
 * `embedBatch` runs the tfjs model for many prompts at once.
 */
export class PromptEmbedder {
  readonly options: PromptEmbedderOptions;
  private readonly model: tf.LayersModel;
  private readonly encoder: tf.LayersModel;
  private readonly hidden: DenseWeights;
  private readonly embedding: DenseWeights;

  private constructor(model: tf.LayersModel, options: PromptEmbedderOptions) {
    this.options = options;
    this.model = model;
    this.encoder = tf.model({ inputs: model.inputs, outputs: model.getLayer(EMBEDDING_LAYER).output as tf.SymbolicTensor });
    this.hidden = denseWeights(model.getLayer('hidden'));
    this.embedding = denseWeights(model.getLayer(EMBEDDING_LAYER));
  }

  get dimension(): number {
    return this.options.embeddingUnits;
  }

  static async train(
    examples: readonly EmbedderExample[],
    options: Partial<PromptEmbedderOptions> = {},
    progress?: EmbedderProgress,
  ): Promise<PromptEmbedder> {
    const settings: PromptEmbedderOptions = { ...DEFAULT_EMBEDDER_OPTIONS, ...options };
    const first = examples[0];
    if (first === undefined) throw new Error('prompt embedder: no training examples');
    const outputs = first.usage.length;
    // One row per distinct prompt; its target is the mean usage of its sessions.
    const byPrompt = new Map<string, { sum: Float32Array; n: number }>();
    for (const example of examples) {
      let entry = byPrompt.get(example.prompt);
      if (entry === undefined) {
        entry = { sum: new Float32Array(outputs), n: 0 };
        byPrompt.set(example.prompt, entry);
      }
      for (let i = 0; i < outputs; i++) entry.sum[i] = (entry.sum[i] as number) + (example.usage[i] as number);
      entry.n++;
    }
    const rows = [...byPrompt].map(([prompt, { sum, n }]) => ({
      features: promptFeatures(prompt, settings.features),
      target: sum.map((v) => v / n),
    }));

    const model = buildModel(settings, outputs);
    model.compile({ optimizer: tf.train.adam(settings.learningRate), loss: 'binaryCrossentropy' });
    const random = seededRandom(settings.seed);
    const order = rows.map((_, i) => i);
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      shuffleInPlace(order, random);
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < order.length; start += settings.batchSize) {
        const batch = order.slice(start, start + settings.batchSize).map((i) => rows[i] as (typeof rows)[number]);
        const xs = denseBatch(batch.map((r) => r.features), settings.features.dimension);
        const ys = tf.tensor2d(concat(batch.map((r) => r.target)), [batch.length, outputs]);
        const loss = await model.trainOnBatch(xs, ys);
        xs.dispose();
        ys.dispose();
        lossSum += Array.isArray(loss) ? (loss[0] ?? 0) : loss;
        batches++;
      }
      progress?.(epoch + 1, settings.epochs, lossSum / Math.max(1, batches));
    }
    return new PromptEmbedder(model, settings);
  }

  /** One prompt, in plain JS (a few microseconds): L2-normalized embedding. */
  embed(prompt: string): Float32Array {
    const features = promptFeatures(prompt, this.options.features);
    const hidden = new Float32Array(this.hidden.bias);
    const units = this.hidden.units;
    for (let n = 0; n < features.indices.length; n++) {
      const row = (features.indices[n] as number) * units;
      const value = features.values[n] as number;
      for (let j = 0; j < units; j++) hidden[j] = (hidden[j] as number) + value * (this.hidden.kernel[row + j] as number);
    }
    for (let j = 0; j < units; j++) if ((hidden[j] as number) < 0) hidden[j] = 0;
    const out = new Float32Array(this.embedding.bias);
    const width = this.embedding.units;
    for (let i = 0; i < units; i++) {
      const h = hidden[i] as number;
      if (h === 0) continue;
      const row = i * width;
      for (let j = 0; j < width; j++) out[j] = (out[j] as number) + h * (this.embedding.kernel[row + j] as number);
    }
    for (let j = 0; j < width; j++) out[j] = Math.tanh(out[j] as number);
    return l2Normalize(out);
  }

  /** Many prompts through the tfjs model, in batches: L2-normalized embeddings. */
  async embedBatch(prompts: readonly string[]): Promise<Float32Array[]> {
    const result: Float32Array[] = [];
    for (let start = 0; start < prompts.length; start += PREDICT_BATCH) {
      const chunk = prompts.slice(start, start + PREDICT_BATCH).map((p) => promptFeatures(p, this.options.features));
      const xs = denseBatch(chunk, this.options.features.dimension);
      const ys = this.encoder.predict(xs) as tf.Tensor;
      const data = (await ys.data()) as Float32Array;
      xs.dispose();
      ys.dispose();
      const width = this.options.embeddingUnits;
      for (let i = 0; i < chunk.length; i++) result.push(l2Normalize(data.slice(i * width, (i + 1) * width)));
    }
    return result;
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await this.model.save(folderIoHandler(dir));
    await writeFile(join(dir, META_FILE), JSON.stringify({ format: EMBEDDER_FORMAT, options: this.options }, null, 2));
  }

  static async load(dir: string): Promise<PromptEmbedder> {
    const path = join(dir, META_FILE);
    let meta: { format?: unknown; options?: PromptEmbedderOptions };
    try {
      meta = JSON.parse(await readFile(path, 'utf8')) as typeof meta;
    } catch (error) {
      throw new Error(`${path}: cannot read the embedder settings: ${(error as Error).message}`);
    }
    if (meta.format !== EMBEDDER_FORMAT || meta.options === undefined) throw new Error(`${path}: expected format ${EMBEDDER_FORMAT}`);
    const model = await tf.loadLayersModel(folderIoHandler(dir));
    return new PromptEmbedder(model, meta.options);
  }

  dispose(): void {
    this.model.dispose();
  }
}

function buildModel(options: PromptEmbedderOptions, outputs: number): tf.LayersModel {
  const seed = options.seed;
  return tf.sequential({
    layers: [
      tf.layers.dense({
        name: 'hidden',
        inputShape: [options.features.dimension],
        units: options.hiddenUnits,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
      }),
      tf.layers.dense({
        name: EMBEDDING_LAYER,
        units: options.embeddingUnits,
        activation: 'tanh',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      }),
      tf.layers.dense({
        name: 'usage',
        units: outputs,
        activation: 'sigmoid',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
      }),
    ],
  });
}

function denseWeights(layer: tf.layers.Layer): DenseWeights {
  const [kernel, bias] = layer.getWeights();
  if (kernel === undefined || bias === undefined || kernel.shape.length !== 2) throw new Error(`layer ${layer.name}: expected a dense kernel and bias`);
  return {
    kernel: kernel.dataSync() as Float32Array,
    bias: bias.dataSync() as Float32Array,
    inputs: kernel.shape[0] as number,
    units: kernel.shape[1] as number,
  };
}

function denseBatch(rows: readonly SparseVector[], dimension: number): tf.Tensor2D {
  const buffer = new Float32Array(rows.length * dimension);
  rows.forEach((row, r) => {
    for (let n = 0; n < row.indices.length; n++) buffer[r * dimension + (row.indices[n] as number)] = row.values[n] as number;
  });
  return tf.tensor2d(buffer, [rows.length, dimension]);
}

function concat(arrays: readonly Float32Array[]): Float32Array {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}
