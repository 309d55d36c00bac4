import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PromptEmbedder, UsageVocabulary, cosine, selectTfBackend, type EmbedderExample } from '../../../src/detectors/clusters/index.js';

const email = [{ tool: 'read_inbox', category: 'data_access' }, { tool: 'send_message', category: 'external_communication' }];
const hotel = [{ tool: 'list_hotels', category: 'data_access' }, { tool: 'hotel_prices', category: 'data_access' }];
const files = [{ tool: 'list_files', category: 'data_access' }, { tool: 'delete_file', category: 'file_write' }];

const intents = [
  { prompts: ['Reply to the latest email from my manager', 'Answer the newest message in my inbox', 'Send a reply to the last email I got'], steps: email },
  { prompts: ['Find me a cheap hotel in Paris', 'Which hotels in London have the lowest price?', 'Look up hotel prices in Rome'], steps: hotel },
  { prompts: ['Delete the largest file in my drive', 'Remove old files from the cloud drive', 'Clean up my drive by deleting files'], steps: files },
];

function examples(): { vocabulary: UsageVocabulary; examples: EmbedderExample[] } {
  const vocabulary = UsageVocabulary.fromSequences(intents.map((i) => i.steps), 1);
  return {
    vocabulary,
    examples: intents.flatMap((intent) => intent.prompts.map((prompt) => ({ prompt, usage: vocabulary.presence(intent.steps) }))),
  };
}

const options = { epochs: 60, hiddenUnits: 32, embeddingUnits: 8, seed: 7 };

describe('PromptEmbedder', () => {
  let backend = '';
  beforeAll(async () => {
    backend = await selectTfBackend();
  });

  it('runs on a named backend', () => {
    expect(['tensorflow', 'wasm', 'cpu']).toContain(backend);
  });

  it('is deterministic for a seed', async () => {
    const { examples: data } = examples();
    const first = await PromptEmbedder.train(data, options);
    const second = await PromptEmbedder.train(data, options);
    const other = await PromptEmbedder.train(data, { ...options, seed: 8 });
    const prompt = 'Send an answer to my boss';
    expect(Array.from(second.embed(prompt))).toEqual(Array.from(first.embed(prompt)));
    expect(Array.from(other.embed(prompt))).not.toEqual(Array.from(first.embed(prompt)));
  });

  it('puts paraphrases closer than prompts with other tool usage', async () => {
    const { examples: data } = examples();
    const embedder = await PromptEmbedder.train(data, options);
    const reply = embedder.embed('Please reply to the most recent email in my inbox');
    const hotelQuery = embedder.embed('What are the prices of hotels in Berlin?');
    const emailAnchor = embedder.embed('Reply to the latest email from my manager');
    const hotelAnchor = embedder.embed('Find me a cheap hotel in Paris');
    expect(cosine(reply, emailAnchor)).toBeGreaterThan(cosine(reply, hotelAnchor));
    expect(cosine(hotelQuery, hotelAnchor)).toBeGreaterThan(cosine(hotelQuery, emailAnchor));
  });

  it('gives the same embedding from the JS path and the batched tfjs path', async () => {
    const { examples: data } = examples();
    const embedder = await PromptEmbedder.train(data, options);
    const prompts = ['Delete a file', 'Book a hotel', 'Reply to Bob'];
    const batch = await embedder.embedBatch(prompts);
    prompts.forEach((prompt, i) => {
      const single = embedder.embed(prompt);
      single.forEach((v, j) => expect(v).toBeCloseTo((batch[i] as Float32Array)[j] as number, 5));
    });
  });

  it('saves to a folder and loads back the same model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-embedder-'));
    try {
      const { examples: data } = examples();
      const embedder = await PromptEmbedder.train(data, options);
      await embedder.save(dir);
      expect((await readdir(dir)).sort()).toEqual(['embedder.json', 'model.json', 'weights.bin']);
      const loaded = await PromptEmbedder.load(dir);
      expect(Array.from(loaded.embed('Reply to Bob'))).toEqual(Array.from(embedder.embed('Reply to Bob')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the folder when loading fails', async () => {
    await expect(PromptEmbedder.load('/nonexistent/embedder')).rejects.toThrow(/\/nonexistent\/embedder/);
  });

  it('stops once the loss on held-out prompts stops falling', async () => {
    const vocabulary = UsageVocabulary.fromSequences(intents.map((i) => i.steps), 1);
    // Enough distinct prompts for a held-out share: each intent's prompts for many named projects.
    const projects = Array.from({ length: 30 }, (_, n) => `project${String.fromCharCode(97 + (n % 26))}${String.fromCharCode(97 + Math.floor(n / 26))}`);
    const data = intents.flatMap((intent) =>
      intent.prompts.flatMap((prompt) => projects.map((project) => ({ prompt: `${prompt} for ${project}`, usage: vocabulary.presence(intent.steps) }))),
    );
    const maxEpochs = 400;
    let epochsRun = 0;
    await PromptEmbedder.train(data, { ...options, epochs: maxEpochs }, (epoch) => {
      epochsRun = epoch;
    });
    expect(epochsRun).toBeGreaterThan(0);
    expect(epochsRun).toBeLessThan(maxEpochs);
  });

  it('spreads prompts of different intents apart instead of saturating', async () => {
    const { examples: data } = examples();
    const embedder = await PromptEmbedder.train(data, options);
    const reply = embedder.embed('Reply to the latest email from my manager');
    const hotel = embedder.embed('Find me a cheap hotel in Paris');
    expect(cosine(reply, hotel)).toBeLessThan(0.9);
  });
});
