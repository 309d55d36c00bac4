import { SEVERITIES } from '../finding.js';
import type { Severity } from '../finding.js';
import { NO_ELEMENT, didYouMean } from './diagnostics.js';
import type { DiagnosticBag, ElementRef, SourceLoc } from './diagnostics.js';
import type { SourceEntry, SourceMap, SourceNode } from './source-tree.js';

/** Rule, list, macro and step ids; a bare scalar matching it in a matcher names a macro. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `5m`, `250ms`; undefined when invalid. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match === null) return undefined;
  return Number(match[1]) * DURATION_UNITS[match[2]!]!;
}

/**
 * Reads scalar values out of source nodes and files diagnostics against the element being read.
 * One per file, shared by the element, matcher and body readers so they all attribute to the same element.
 */
export class NodeReader {
  /** The element being read; set by the element reader, NO_ELEMENT outside any element. */
  currentElement: ElementRef = NO_ELEMENT;

  constructor(private readonly diagnostics: DiagnosticBag) {}

  error(code: string, loc: SourceLoc, message: string): void {
    this.diagnostics.error(code, loc, this.currentElement, message);
  }

  warning(code: string, loc: SourceLoc, message: string): void {
    this.diagnostics.warning(code, loc, this.currentElement, message);
  }

  checkKeys(map: SourceMap, allowed: readonly string[], what: string): void {
    for (const entry of map.entries) {
      if (!allowed.includes(entry.key)) {
        this.error('unknown-field', entry.keyLoc, `unknown field "${entry.key}" in ${what}${didYouMean(entry.key, allowed)}`);
      }
    }
  }

  id(entry: SourceEntry, kind: string): string {
    const value = entry.value;
    if (value.kind !== 'scalar' || typeof value.value !== 'string' || !ID_PATTERN.test(value.value)) {
      const shown = value.kind === 'scalar' ? String(value.value) : value.kind;
      this.diagnostics.error(
        'bad-id',
        value.loc,
        NO_ELEMENT,
        `${kind} id ${JSON.stringify(shown)} must be a name of letters, digits and _ . : - (starting with a letter or digit)`,
      );
      return value.kind === 'scalar' ? String(value.value) : '';
    }
    return value.value;
  }

  severity(node: SourceNode): Severity | undefined {
    const value = node.kind === 'scalar' ? node.value : undefined;
    if (typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)) return value as Severity;
    this.error(
      'bad-value',
      node.loc,
      `severity must be one of ${SEVERITIES.join(', ')}; got ${JSON.stringify(value ?? node.kind)}${didYouMean(String(value), SEVERITIES)}`,
    );
    return undefined;
  }

  duration(node: SourceNode, what: string): number | undefined {
    const text = node.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
    const ms = text === undefined ? undefined : parseDuration(text);
    if (ms === undefined || ms <= 0) {
      const shown = node.kind === 'scalar' ? JSON.stringify(node.value) : node.kind;
      this.error('bad-duration', node.loc, `${what} must be a positive duration with a unit (500ms, 30s, 5m, 1h, 1d); got ${shown}`);
      return undefined;
    }
    return ms;
  }

  string(node: SourceNode, what: string): string | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'string') return node.value;
    this.error('bad-type', node.loc, `${what} must be a string`);
    return undefined;
  }

  strings(node: SourceNode, what: string): string[] | undefined {
    if (node.kind !== 'seq') {
      this.error('bad-type', node.loc, `${what} must be a list of strings`);
      return undefined;
    }
    const out: string[] = [];
    for (const item of node.items) {
      const value = this.string(item, `each of ${what}`);
      if (value !== undefined) out.push(value);
    }
    return out;
  }

  number(node: SourceNode, what: string): number | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'number' && Number.isFinite(node.value)) return node.value;
    this.error('bad-type', node.loc, `${what} must be a number`);
    return undefined;
  }

  integer(node: SourceNode, what: string, min: number, max: number): number | undefined {
    const value = node.kind === 'scalar' ? node.value : undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.error('bad-value', node.loc, `${what} must be a whole number from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  boolean(node: SourceNode, what: string): boolean | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
    this.error('bad-type', node.loc, `${what} must be true or false`);
    return undefined;
  }
}
