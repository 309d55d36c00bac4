import { readFile } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import picomatch from 'picomatch';
import { CatalogError } from './catalog-error.js';
import { parseCatalogYaml } from './catalog-yaml.js';
import type { ToolClass, ToolDefinition } from './events.js';
import { boundedText, TEXT_LIMITS } from './bounded-text.js';
import { LearnedDefinitions } from './learned-definitions.js';
import type { LearnedDefinitionLimits } from './learned-definitions.js';
import { inferToolClass } from './tool-inference.js';

/** One `tools:` entry of a catalog file: an exact tool name or a picomatch glob. */
export interface CatalogEntry {
  readonly pattern: string;
  readonly isGlob: boolean;
  /** Always `inferred: false`. */
  readonly toolClass: ToolClass;
  /**
   * The MCP server that serves the tool, '' when the catalog does not say. Stands in for a span that
   * names none (OpenInference and Traceloop tool spans carry no server), so per-server rules still see it.
   */
  readonly server: string;
  /** The entry's other keys (`note`, `suites`, ...), kept as they were written. */
  readonly annotations: Readonly<Record<string, unknown>>;
}

export interface ToolCatalogOptions {
  /** Where the entries came from, for messages: a file name, or '' for a catalog built in code. */
  readonly source?: string;
  /** The file's top-level keys other than `tools`. */
  readonly annotations?: Readonly<Record<string, unknown>>;
  /** Bound of each classification cache (glob lookups; inferred classes). */
  readonly cacheSize?: number;
  readonly learnedLimits?: Partial<LearnedDefinitionLimits>;
}

export interface ToolCatalogStats {
  readonly entries: number;
  readonly cachedLookups: number;
  readonly cachedInferences: number;
  readonly learnedServices: number;
  readonly learnedTools: number;
  readonly evictedServices: number;
  readonly droppedTools: number;
}

const DEFAULT_CACHE_SIZE = 10_000;
/** Cached "no catalog entry matches": lru-cache does not hold `undefined`. */
const NO_ENTRY = Symbol('no catalog entry');

interface GlobEntry {
  readonly entry: CatalogEntry;
  readonly matches: (tool: string) => boolean;
}

/**
 * What each tool is: the catalog's entries (exact names first, then globs in file order), else a class
 * inferred from the tool's name and description. Descriptions come from the caller or from the
 * `tools/list` definitions learned per service. Lookups are cached, bounded.
 */
export class ToolCatalog {
  readonly source: string;
  readonly entries: readonly CatalogEntry[];
  readonly annotations: Readonly<Record<string, unknown>>;
  private readonly exact = new Map<string, CatalogEntry>();
  private readonly globs: GlobEntry[] = [];
  private readonly globLookups: LRUCache<string, CatalogEntry | typeof NO_ENTRY>;
  private readonly inferences: LRUCache<string, ToolClass>;
  private readonly learned: LearnedDefinitions;

  /** Without entries (the default when no file is configured) every tool is inferred. */
  constructor(entries: readonly CatalogEntry[] = [], options: ToolCatalogOptions = {}) {
    this.source = options.source ?? '';
    this.entries = entries;
    this.annotations = options.annotations ?? {};
    for (const entry of entries) {
      if (!entry.isGlob) {
        if (!this.exact.has(entry.pattern)) this.exact.set(entry.pattern, entry);
      } else {
        this.globs.push({ entry, matches: picomatch(entry.pattern, { dot: true }) });
      }
    }
    const max = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`cacheSize must be a positive integer, got ${max}`);
    this.globLookups = new LRUCache({ max });
    this.inferences = new LRUCache({ max });
    this.learned = new LearnedDefinitions(options.learnedLimits);
  }

  /** The catalog entry for a tool: its exact name, else the first glob in file order that matches. */
  entryFor(tool: string): CatalogEntry | undefined {
    const exact = this.exact.get(tool);
    if (exact !== undefined || this.globs.length === 0) return exact;
    let found = this.globLookups.get(tool);
    if (found === undefined) {
      found = this.globs.find((glob) => glob.matches(tool))?.entry ?? NO_ENTRY;
      this.globLookups.set(tool, found);
    }
    return found === NO_ENTRY ? undefined : found;
  }

  /** The tool's class. `description` only matters when no entry matches and the class is inferred. */
  classify(tool: string, description = ''): ToolClass {
    const entry = this.entryFor(tool);
    if (entry !== undefined) return entry.toolClass;
    const text = boundedText(description, TEXT_LIMITS.description);
    const key = text === '' ? tool : `${tool}\u0000${text}`;
    let inferred = this.inferences.get(key);
    if (inferred === undefined) {
      inferred = Object.freeze(inferToolClass(tool, text));
      this.inferences.set(key, inferred);
    }
    return inferred;
  }

  /** The server the catalog places the tool on, '' when it places it nowhere. */
  serverOf(tool: string): string {
    return this.entryFor(tool)?.server ?? '';
  }

  /** Records the tools a service's `tools/list` reported, so their descriptions feed inference. */
  learnDefinitions(service: string, tools: readonly ToolDefinition[]): void {
    this.learned.learn(service, tools);
  }

  /** The description learned for a service's tool, '' when none. */
  learnedDescription(service: string, tool: string): string {
    return this.learned.description(service, tool);
  }

  stats(): ToolCatalogStats {
    const learned = this.learned.stats();
    return {
      entries: this.entries.length,
      cachedLookups: this.globLookups.size,
      cachedInferences: this.inferences.size,
      learnedServices: learned.services,
      learnedTools: learned.tools,
      evictedServices: learned.evictedServices,
      droppedTools: learned.droppedTools,
    };
  }
}

/** Parses catalog YAML; throws a `CatalogError` listing every problem with its line and column. */
export function parseToolCatalog(text: string, fileName: string, options: ToolCatalogOptions = {}): ToolCatalog {
  const parsed = parseCatalogYaml(text, fileName);
  return new ToolCatalog(parsed.entries, { ...options, source: fileName, annotations: parsed.annotations });
}

/** Reads and parses a catalog file; throws a `CatalogError` when it cannot be read or is invalid. */
export async function loadToolCatalog(path: string, options: ToolCatalogOptions = {}): Promise<ToolCatalog> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CatalogError([{ file: path, line: 0, column: 0, message: `cannot read the file: ${reason}` }], {
      cause: error,
    });
  }
  return parseToolCatalog(text, path, options);
}
