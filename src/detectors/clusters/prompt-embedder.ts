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
const HELD_OUT_SHARE = 0.1;
const MIN_ROWS_FOR_EARLY_STOP = 200;
const EARLY_STOP_PATIENCE = 3;
const EARLY_STOP_MIN_DELTA = 1e-4;

interface TrainingRow {
  readonly features: SparseVector;
  readonly target: Float32Array;
  /** How many training sessions had this prompt. */
  readonly weight: number;
}

/**
 * Embeds prompts so that prompts whose sessions use tools alike land close together: hashed word and
 * character n-grams -> dense(relu) -> dense(linear) "embedding" -> dense(sigmoid) predicting the session's
 * tool, category and transition presence. The embedding is the linear layer, L2-normalized: a squashing
 * activation there saturated (every unit at +-1, all prompts one direction), leaving the clusters to be
 * cut from rounding noise.
 *
 * Training runs over distinct prompts (each one's target is the mean usage of its sessions, its weight
 * their number), multiplies only the features a prompt has, and stops when the loss on a held-out share
 * of the prompts stops falling, keeping the best weights.
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
    const rows: TrainingRow[] = [...byPrompt].map(([prompt, { sum, n }]) => ({
      features: promptFeatures(prompt, settings.features),
      target: sum.map((v) => v / n),
      weight: n,
    }));

    const model = buildModel(settings, outputs);
    const [hiddenKernel, hiddenBias, embeddingKernel, embeddingBias, usageKernel, usageBias] = model.trainableWeights.map(
      (w) => w.read() as tf.Variable,
    ) as [tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable];
    const variables = [hiddenKernel, hiddenBias, embeddingKernel, embeddingBias, usageKernel, usageBias];
    const lossOf = (batch: readonly TrainingRow[]): tf.Scalar => {
      const input = sparseBatch(batch.map((r) => r.features));
      const hidden = tf.relu(tf.add(sparseMatMul(input, hiddenKernel), hiddenBias));
      const embedding = tf.add(tf.matMul(hidden, embeddingKernel), embeddingBias);
      const logits = tf.add(tf.matMul(embedding, usageKernel), usageBias);
      const targets = tf.tensor2d(concat(batch.map((r) => r.target)), [batch.length, outputs]);
      // Binary cross-entropy from logits (stable), averaged over outputs, weighted by each prompt's session count.
      const perRow = tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))), 1);
      const weights = tf.tensor1d(batch.map((r) => r.weight));
      return tf.div(tf.sum(tf.mul(perRow, weights)), tf.sum(weights)) as tf.Scalar;
    };

    const random = seededRandom(settings.seed);
    const order = rows.map((_, i) => i);
    shuffleInPlace(order, random);
    const heldOutCount = rows.length >= MIN_ROWS_FOR_EARLY_STOP ? Math.max(1, Math.round(rows.length * HELD_OUT_SHARE)) : 0;
    const heldOut = order.slice(0, heldOutCount).map((i) => rows[i] as TrainingRow);
    const fitting = order.slice(heldOutCount);
    const optimizer = tf.train.adam(settings.learningRate);
    let best = { loss: Number.POSITIVE_INFINITY, epoch: 0, weights: [] as tf.Tensor[] };
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      shuffleInPlace(fitting, random);
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < fitting.length; start += settings.batchSize) {
        const batch = fitting.slice(start, start + settings.batchSize).map((i) => rows[i] as TrainingRow);
        const loss = optimizer.minimize(() => lossOf(batch), true, variables) as tf.Scalar;
        lossSum += (await loss.data())[0] ?? 0;
        loss.dispose();
        batches++;
      }
      const trainLoss = lossSum / Math.max(1, batches);
      if (heldOut.length === 0) {
        progress?.(epoch + 1, settings.epochs, trainLoss);
        continue;
      }
      const heldOutLoss = tf.tidy(() => lossOf(heldOut));
      const value = (await heldOutLoss.data())[0] ?? 0;
      heldOutLoss.dispose();
      progress?.(epoch + 1, settings.epochs, value);
      if (value < best.loss - EARLY_STOP_MIN_DELTA) {
        best.weights.forEach((w) => w.dispose());
        best = { loss: value, epoch, weights: variables.map((v) => v.clone()) };
      } else if (epoch - best.epoch >= EARLY_STOP_PATIENCE) break;
    }
    if (best.weights.length > 0) {
      variables.forEach((v, i) => v.assign(best.weights[i] as tf.Tensor));
      best.weights.forEach((w) => w.dispose());
    }
    optimizer.dispose();
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
  // Named, or tfjs numbers it per process and the same training would save a different model.json.
  return tf.sequential({
    name: 'prompt-embedder',
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

interface SparseBatch {
  readonly rows: number;
  readonly indices: tf.Tensor1D;
  readonly values: tf.Tensor2D;
  readonly rowOf: tf.Tensor2D;
}

function sparseBatch(rows: readonly SparseVector[]): SparseBatch {
  const total = rows.reduce((s, r) => s + r.indices.length, 0);
  const indices = new Int32Array(total);
  const values = new Float32Array(total);
  const rowOf = new Int32Array(total);
  let offset = 0;
  rows.forEach((row, r) => {
    indices.set(row.indices, offset);
    values.set(row.values, offset);
    rowOf.fill(r, offset, offset + row.indices.length);
    offset += row.indices.length;
  });
  return {
    rows: rows.length,
    indices: tf.tensor1d(indices, 'int32'),
    values: tf.tensor2d(values, [total, 1]),
    rowOf: tf.tensor2d(rowOf, [total, 1], 'int32'),
  };
}

/**
 * Sparse input x dense kernel: gathers only the kernel rows of the features present (a prompt has a few
 * hundred of the thousands of hashed slots), so an epoch costs what the prompts hold, not the hash space.
 */
function sparseMatMul(input: SparseBatch, kernel: tf.Variable): tf.Tensor2D {
  const units = kernel.shape[1] as number;
  const op = tf.customGrad(((k: tf.Tensor, indices: tf.Tensor, values: tf.Tensor, rowOf: tf.Tensor, save: tf.GradSaveFunc) => {
    save([indices, values, rowOf]);
    const value = tf.scatterND(rowOf, tf.mul(tf.gather(k, indices), values), [input.rows, units]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedIndices, savedValues, savedRowOf] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const kernelGrad = tf.scatterND(tf.expandDims(savedIndices, 1), tf.mul(tf.gatherND(dy, savedRowOf), savedValues), kernel.shape);
      return [kernelGrad, tf.zerosLike(savedIndices), tf.zerosLike(savedValues), tf.zerosLike(savedRowOf)];
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(kernel, input.indices, input.values, input.rowOf) as tf.Tensor2D;
}
