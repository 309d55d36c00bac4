import * as tf from '@tensorflow/tfjs';

export type TfBackendName = 'tensorflow' | 'wasm' | 'cpu';

let selected: Promise<TfBackendName> | undefined;

/**
 * Picks the fastest TensorFlow.js backend present: tfjs-node (native, an optional dependency), else
 * WASM, else the pure-JS CPU backend. Runs once per process; `log` hears which one was chosen and why.
 */
export function selectTfBackend(log: (message: string) => void = () => {}): Promise<TfBackendName> {
  selected ??= choose(log);
  return selected;
}

async function choose(log: (message: string) => void): Promise<TfBackendName> {
  const nodeBinding = '@tensorflow/tfjs-node';
  try {
    await import(nodeBinding);
    if (await tf.setBackend('tensorflow')) {
      await tf.ready();
      log('tensorflow.js backend: tensorflow (tfjs-node)');
      return 'tensorflow';
    }
  } catch {
    // Not installed: the optional dependency is skipped on platforms without prebuilt binaries.
  }
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      log('tensorflow.js backend: wasm (tfjs-node not installed)');
      return 'wasm';
    }
  } catch (error) {
    log(`tensorflow.js wasm backend unavailable: ${(error as Error).message}`);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  log('tensorflow.js backend: cpu (neither tfjs-node nor wasm available)');
  return 'cpu';
}
