/** Characters of a result read for words: a planted instruction that matters sits where the agent reads. */
export const MAX_RESULT_CHARS_SCANNED = 4_000;
/** Distinct words kept per tool, tools kept, and words kept in all; beyond them nothing new is learned (counted as dropped). */
export const MAX_WORDS_PER_TOOL = 50_000;
export const MAX_VOCABULARY_TOOLS = 4_096;
export const MAX_VOCABULARY_WORDS = 2_000_000;

interface ToolWords {
  /** Distinct words per result, summed over the training results. */
  occurrences: number;
  /** fnv1a hashes of the words seen. */
  readonly words: Set<number>;
  /** The same hashes in an open-addressing table, for the hot path; built once training is done. */
  table?: WordTable;
}

export interface ContentNovelty {
  /** Distinct words of the result never seen in the tool's training results. */
  readonly novelWords: number;
  /** novelWords x -log2 P(a new word for this tool) (Witten-Bell). */
  readonly bits: number;
}

export const RESULT_VOCABULARY_FORMAT = 'chainwatch.result-vocabulary/1';

/**
 * The words each tool's results carried in training. Text planted in a tool result (an injected
 * instruction) is worded unlike what that tool normally returns; an agent that then takes an unusual
 * action has likely followed it. Words are kept as 32-bit hashes.
 */
export class ResultVocabulary {
  private readonly tools: Map<string, ToolWords>;
  /**
   * Novelty (bits) above which a result counts as unfamiliar: set by training from held-out normal
   * sessions (the level only a small share of them reach), 0 until then.
   */
  unusualBits = 0;
  /** Words (and results of tools over the bound) left out for the bounds, per occurrence. */
  dropped = 0;
  private words = 0;

  private constructor(tools: Map<string, ToolWords>) {
    this.tools = tools;
  }

  static build(results: Iterable<{ readonly tool: string; readonly result: string }>): ResultVocabulary {
    const vocabulary = new ResultVocabulary(new Map());
    for (const { tool, result } of results) vocabulary.add(tool, result);
    return vocabulary;
  }

  /** True when the result is worded beyond the unusual level for its tool. */
  isUnfamiliar(novelty: ContentNovelty): boolean {
    return novelty.bits > this.unusualBits;
  }

  private add(tool: string, result: string): void {
    if (result === '') return;
    let stats = this.tools.get(tool);
    if (stats === undefined) {
      if (this.tools.size >= MAX_VOCABULARY_TOOLS) {
        this.dropped++;
        return;
      }
      stats = { occurrences: 0, words: new Set() };
      this.tools.set(tool, stats);
    }
    for (const word of wordsOf(result)) {
      stats.occurrences++;
      if (stats.words.has(word)) continue;
      if (stats.words.size < MAX_WORDS_PER_TOOL && this.words < MAX_VOCABULARY_WORDS) {
        stats.words.add(word);
        this.words++;
      } else {
        this.dropped++;
      }
    }
  }

  /** How unlike the tool's training results this result is worded; undefined for a tool never seen. */
  novelty(tool: string, result: string): ContentNovelty | undefined {
    const stats = this.tools.get(tool);
    if (stats === undefined || stats.occurrences === 0) return undefined;
    stats.table ??= WordTable.of(stats.words);
    const table = stats.table;
    const novel = new Set<number>();
    forEachWord(result, (word) => {
      if (!table.has(word)) novel.add(word);
    });
    const novelWords = novel.size;
    const distinct = stats.words.size;
    const bitsPerWord = -Math.log2((distinct + 1) / (stats.occurrences + distinct + 1));
    return { novelWords, bits: novelWords * bitsPerWord };
  }

  toJSON(): SerializedResultVocabulary {
    return {
      format: RESULT_VOCABULARY_FORMAT,
      unusualBits: this.unusualBits,
      tools: [...this.tools].map(([tool, s]) => ({ tool, occurrences: s.occurrences, words: [...s.words].sort((a, b) => a - b) })),
    };
  }

  static fromJSON(value: unknown, where = 'result vocabulary'): ResultVocabulary {
    const data = value as Partial<SerializedResultVocabulary> | null;
    if (data === null || typeof data !== 'object' || data.format !== RESULT_VOCABULARY_FORMAT || !Array.isArray(data.tools)) {
      throw new Error(`${where}: expected format ${RESULT_VOCABULARY_FORMAT} with tools`);
    }
    const tools = new Map<string, ToolWords>();
    for (const entry of data.tools) {
      if (typeof entry?.tool !== 'string' || typeof entry.occurrences !== 'number' || !Array.isArray(entry.words)) {
        throw new Error(`${where}: malformed entry for tool ${String(entry?.tool)}`);
      }
      tools.set(entry.tool, { occurrences: entry.occurrences, words: new Set(entry.words) });
    }
    const vocabulary = new ResultVocabulary(tools);
    for (const stats of tools.values()) vocabulary.words += stats.words.size;
    if (typeof data.unusualBits === 'number' && Number.isFinite(data.unusualBits)) vocabulary.unusualBits = data.unusualBits;
    return vocabulary;
  }
}

export interface SerializedResultVocabulary {
  readonly format: typeof RESULT_VOCABULARY_FORMAT;
  readonly unusualBits: number;
  readonly tools: Array<{ tool: string; occurrences: number; words: number[] }>;
}

/** Distinct lower-case words (3+ letters) of the scanned part of a result, hashed. */
function wordsOf(result: string): Set<number> {
  const words = new Set<number>();
  forEachWord(result, (word) => words.add(word));
  return words;
}

/**
 * Calls `visit` with the fnv1a hash of each run of 3+ ASCII letters (lower-cased) in the scanned part
 * of the text, in one pass without allocating: this runs on every read call.
 */
function forEachWord(text: string, visit: (hash: number) => void): void {
  const end = Math.min(text.length, MAX_RESULT_CHARS_SCANNED);
  let hash = FNV_OFFSET;
  let length = 0;
  for (let i = 0; i <= end; i++) {
    let code = i < end ? text.charCodeAt(i) : 0;
    if (code >= 65 && code <= 90) code += 32;
    if (code >= 97 && code <= 122) {
      hash = Math.imul(hash ^ code, FNV_PRIME);
      length++;
      continue;
    }
    if (length >= 3) visit(hash >>> 0);
    hash = FNV_OFFSET;
    length = 0;
  }
}

/** A read-only set of 32-bit hashes: linear probing in a typed array, about ten times a Set's speed. */
class WordTable {
  private constructor(
    private readonly slots: Uint32Array,
    private readonly mask: number,
    private readonly hasZero: boolean,
  ) {}

  static of(words: ReadonlySet<number>): WordTable {
    let size = 16;
    while (size < words.size * 2) size *= 2;
    const slots = new Uint32Array(size);
    const mask = size - 1;
    let hasZero = false;
    for (const word of words) {
      // 0 marks an empty slot; the one word hashing to 0 is kept aside.
      if (word === 0) {
        hasZero = true;
        continue;
      }
      let i = word & mask;
      while (slots[i] !== 0 && slots[i] !== word) i = (i + 1) & mask;
      slots[i] = word;
    }
    return new WordTable(slots, mask, hasZero);
  }

  has(word: number): boolean {
    if (word === 0) return this.hasZero;
    let i = word & this.mask;
    for (;;) {
      const slot = this.slots[i] as number;
      if (slot === word) return true;
      if (slot === 0) return false;
      i = (i + 1) & this.mask;
    }
  }
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
