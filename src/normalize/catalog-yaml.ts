import picomatch from 'picomatch';
import { LineCounter, isAlias, isMap, isScalar, parseDocument } from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';
import { CatalogError } from './catalog-error.js';
import type { CatalogProblem } from './catalog-error.js';
import { TOOL_CATEGORIES, TOOL_EFFECTS } from './events.js';
import type { ToolCategory, ToolEffect } from './events.js';
import type { CatalogEntry } from './tool-catalog.js';
import { isSensitiveCategory } from './tool-inference.js';

export interface ParsedCatalog {
  readonly entries: CatalogEntry[];
  readonly annotations: Record<string, unknown>;
}

const ENTRY_FIELDS = new Set(['category', 'effect', 'sensitive', 'cost', 'server']);
const CATEGORY_LIST = TOOL_CATEGORIES.join(', ');
const EFFECT_LIST = TOOL_EFFECTS.join(', ');

/**
 * Parses and validates catalog YAML:
 * `tools: { <name or glob>: {category, effect, sensitive?, cost?, server?, ...annotations} }`, other top-level
 * keys kept as annotations. Throws a `CatalogError` with every problem found, each with its position.
 */
export function parseCatalogYaml(text: string, file: string): ParsedCatalog {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems = new ProblemList(file, lineCounter);
  for (const error of doc.errors) problems.add(error.pos[0], error.message);

  const annotations: Record<string, unknown> = {};
  const entries: CatalogEntry[] = [];
  const root = doc.contents;
  if (!isMap(root)) {
    problems.add(root?.range?.[0] ?? 0, 'a tool catalog is a map with a `tools:` key');
  } else {
    let toolsPair: Pair | undefined;
    for (const pair of root.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === 'tools') toolsPair = pair;
      else if (key !== undefined) annotations[key] = toJs(doc, pair.value);
    }
    if (toolsPair === undefined) problems.add(root.range?.[0] ?? 0, 'missing `tools:`, the map of tool names to classes');
    else readTools(doc, toolsPair, entries, problems);
  }
  if (problems.items.length > 0) {
    throw new CatalogError(problems.items.sort((a, b) => a.line - b.line || a.column - b.column));
  }
  return { entries, annotations };
}

/** Problems with their line and column, in the order found. */
class ProblemList {
  readonly items: CatalogProblem[] = [];

  constructor(
    private readonly file: string,
    private readonly lineCounter: LineCounter,
  ) {}

  add(offset: number, message: string): void {
    const { line, col } = this.lineCounter.linePos(offset);
    this.items.push({ file: this.file, line, column: col, message });
  }
}

function readTools(doc: Document, toolsPair: Pair, entries: CatalogEntry[], problems: ProblemList): void {
  const tools = resolve(doc, toolsPair.value);
  if (!isMap(tools)) {
    problems.add(startOf(toolsPair.key) ?? 0, '`tools` must be a map of tool name or glob to {category, effect}');
    return;
  }
  for (const pair of tools.items) {
    const keyStart = startOf(pair.key) ?? 0;
    const name = isScalar(pair.key) && typeof pair.key.value === 'string' ? pair.key.value : '';
    if (name === '') {
      problems.add(keyStart, 'a tool name or glob must be a non-empty string');
      continue;
    }
    const isGlob = picomatch.scan(name).isGlob;
    const value = resolve(doc, pair.value);
    if (!isMap(value)) {
      problems.add(startOf(value) ?? keyStart, `tools.${name}: must be a map with category and effect`);
      continue;
    }
    const problemsBefore = problems.items.length;
    const entry = readEntry(doc, name, isGlob, value, keyStart, problems);
    if (entry !== undefined && problems.items.length === problemsBefore) entries.push(entry);
  }
}

function readEntry(
  doc: Document,
  name: string,
  isGlob: boolean,
  map: YAMLMap,
  keyStart: number,
  problems: ProblemList,
): CatalogEntry | undefined {
  const fields = new Map<string, Node | null>();
  const annotations: Record<string, unknown> = {};
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (ENTRY_FIELDS.has(key)) fields.set(key, resolve(doc, pair.value));
    else if (key !== '') annotations[key] = toJs(doc, pair.value);
    else problems.add(startOf(pair.key) ?? keyStart, `tools.${name}: keys must be strings`);
  }
  const category = readChoice(fields, 'category', TOOL_CATEGORIES, CATEGORY_LIST, name, keyStart, problems);
  const effect = readChoice(fields, 'effect', TOOL_EFFECTS, EFFECT_LIST, name, keyStart, problems);
  const sensitive = readScalar(fields, 'sensitive', 'boolean', name, keyStart, problems);
  const cost = readScalar(fields, 'cost', 'number', name, keyStart, problems);
  if (typeof cost === 'number' && !(Number.isFinite(cost) && cost >= 0)) {
    problems.add(startOf(fields.get('cost')) ?? keyStart, `tools.${name}.cost: must be a finite number >= 0`);
  }
  const server = readScalar(fields, 'server', 'string', name, keyStart, problems);
  if (typeof server === 'string' && server.trim() === '') {
    problems.add(startOf(fields.get('server')) ?? keyStart, `tools.${name}.server: must not be empty`);
  }
  if (category === undefined || effect === undefined) return undefined;
  return {
    pattern: name,
    isGlob,
    toolClass: Object.freeze({
      category,
      effect,
      sensitive: typeof sensitive === 'boolean' ? sensitive : isSensitiveCategory(category),
      cost: typeof cost === 'number' ? cost : 0,
      inferred: false,
    }),
    server: typeof server === 'string' ? server.trim() : '',
    annotations: Object.freeze(annotations),
  };
}

function readChoice<T extends ToolCategory | ToolEffect>(
  fields: Map<string, Node | null>,
  field: string,
  allowed: readonly T[],
  list: string,
  name: string,
  keyStart: number,
  problems: ProblemList,
): T | undefined {
  if (!fields.has(field)) {
    problems.add(keyStart, `tools.${name}: missing ${field} (one of ${list})`);
    return undefined;
  }
  const node = fields.get(field) ?? null;
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  problems.add(startOf(node) ?? keyStart, `tools.${name}.${field}: ${describe(value)} is not one of ${list}`);
  return undefined;
}

function readScalar(
  fields: Map<string, Node | null>,
  field: string,
  type: 'boolean' | 'number' | 'string',
  name: string,
  keyStart: number,
  problems: ProblemList,
): boolean | number | string | undefined {
  if (!fields.has(field)) return undefined;
  const node = fields.get(field) ?? null;
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value === type) return value as boolean | number | string;
  problems.add(startOf(node) ?? keyStart, `tools.${name}.${field}: must be a ${type}, got ${describe(value)}`);
  return undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return 'a non-scalar value';
  return JSON.stringify(value) ?? String(value);
}

function resolve(doc: Document, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? null;
  return (node as Node | null | undefined) ?? null;
}

function startOf(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

function toJs(doc: Document, node: unknown): unknown {
  const resolved = resolve(doc, node);
  return resolved === null ? null : resolved.toJS(doc);
}
