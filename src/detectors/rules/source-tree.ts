import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import { NO_ELEMENT } from './diagnostics.js';
import type { DiagnosticBag, SourceLoc } from './diagnostics.js';

/** A YAML value with the location of every node, so later stages can point at what they reject. */
export type SourceNode = SourceMap | SourceSeq | SourceScalar;

export interface SourceEntry {
  readonly key: string;
  readonly keyLoc: SourceLoc;
  readonly value: SourceNode;
}

export interface SourceMap {
  readonly kind: 'map';
  readonly loc: SourceLoc;
  readonly entries: readonly SourceEntry[];
}

export interface SourceSeq {
  readonly kind: 'seq';
  readonly loc: SourceLoc;
  readonly items: readonly SourceNode[];
}

export type ScalarValue = string | number | boolean | null;

export interface SourceScalar {
  readonly kind: 'scalar';
  readonly loc: SourceLoc;
  readonly value: ScalarValue;
}

export function entryOf(map: SourceMap, key: string): SourceEntry | undefined {
  for (const entry of map.entries) if (entry.key === key) return entry;
  return undefined;
}

/** Stage 1 (read): parses one file's text; YAML syntax errors become located diagnostics. */
export function readSource(file: string, text: string, diagnostics: DiagnosticBag): SourceNode | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locAt = (offset: number): SourceLoc => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, column: pos.col };
  };
  for (const error of doc.errors) {
    diagnostics.error('yaml-syntax', locAt(error.pos[0]), NO_ELEMENT, firstLine(error.message));
  }
  if (doc.errors.length > 0) return undefined;
  if (doc.contents === null) return { kind: 'scalar', loc: locAt(0), value: null };
  return convert(doc, doc.contents as Node, locAt, 0);
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

const MAX_DEPTH = 64;

function convert(doc: Document, node: Node, locAt: (offset: number) => SourceLoc, depth: number): SourceNode {
  const loc = locAt(node.range?.[0] ?? 0);
  if (depth > MAX_DEPTH) return { kind: 'scalar', loc, value: null };
  if (isAlias(node)) {
    const target = node.resolve(doc);
    return target === undefined ? { kind: 'scalar', loc, value: null } : convert(doc, target, locAt, depth + 1);
  }
  if (isMap(node)) {
    const entries: SourceEntry[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const keyLoc = keyNode?.range ? locAt(keyNode.range[0]) : loc;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const valueNode = pair.value as Node | null;
      const value: SourceNode =
        valueNode === null ? { kind: 'scalar', loc: keyLoc, value: null } : convert(doc, valueNode, locAt, depth + 1);
      entries.push({ key, keyLoc, value });
    }
    return { kind: 'map', loc, entries };
  }
  if (isSeq(node)) {
    const items: SourceNode[] = [];
    for (const item of node.items) {
      items.push(
        item === null ? { kind: 'scalar', loc, value: null } : convert(doc, item as Node, locAt, depth + 1),
      );
    }
    return { kind: 'seq', loc, items };
  }
  if (isScalar(node)) {
    const value = node.value;
    const scalar: ScalarValue =
      typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null
        ? value
        : String(value);
    return { kind: 'scalar', loc, value: scalar };
  }
  return { kind: 'scalar', loc, value: null };
}
