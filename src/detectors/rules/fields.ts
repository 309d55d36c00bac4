import { createHash } from 'node:crypto';
import { TOOL_CATEGORIES, TOOL_EFFECTS } from '../../normalize/events.js';
import type { ToolCallEvent } from '../../normalize/events.js';
import { boundedText } from '../../normalize/bounded-text.js';
import type { CallRecord, SessionView } from '../../session/session-view.js';

/** The fields rules can read of a call and its session. */
export const FIELD_SPECS = {
  tool: { type: 'string' },
  server: { type: 'string' },
  service: { type: 'string' },
  category: { type: 'enum', values: TOOL_CATEGORIES },
  effect: { type: 'enum', values: TOOL_EFFECTS },
  status: { type: 'enum', values: ['ok', 'error'] },
  error_type: { type: 'string' },
  origin: { type: 'enum', values: ['user', 'nested'] },
  trust: { type: 'enum', values: ['verified', 'unverified', 'invalid', 'spoofed'] },
  user: { type: 'string' },
  session: { type: 'string' },
  trace: { type: 'string' },
  span: { type: 'string' },
  sensitive: { type: 'boolean' },
  inferred: { type: 'boolean' },
  cost: { type: 'number' },
  duration: { type: 'number' },
  args: { type: 'structured' },
  result: { type: 'structured' },
} as const satisfies Record<string, { type: FieldType; values?: readonly string[] }>;

export type FieldType = 'string' | 'enum' | 'boolean' | 'number' | 'structured';
export type FieldBase = keyof typeof FIELD_SPECS;
export const FIELD_NAMES = Object.keys(FIELD_SPECS) as FieldBase[];

export interface FieldRef {
  readonly base: FieldBase;
  /** Path inside `args` or `result` (JSON); `*` matches any key or element. */
  readonly path: readonly string[];
  /** As written, for messages. */
  readonly text: string;
}

export function fieldType(ref: FieldRef): FieldType {
  return FIELD_SPECS[ref.base].type;
}

export function enumValues(ref: FieldRef): readonly string[] | undefined {
  const spec = FIELD_SPECS[ref.base];
  return 'values' in spec ? spec.values : undefined;
}

/** Parses `tool`, `args.to`, `result.items.*.email`; returns an error message when invalid. */
export function parseFieldRef(text: string): FieldRef | string {
  const segments = text.split('.');
  const base = segments[0] ?? '';
  if (!(base in FIELD_SPECS)) return `unknown field "${base}"`;
  const path = segments.slice(1);
  if (path.length > 0 && FIELD_SPECS[base as FieldBase].type !== 'structured') {
    return `field "${base}" has no sub-fields (only args and result take a path)`;
  }
  if (path.some((segment) => segment === '')) return `empty path segment in "${text}"`;
  return { base: base as FieldBase, path, text };
}

const resultCache = new WeakMap<ToolCallEvent, unknown>();
const NOT_JSON = Symbol('not-json');

/** The tool result parsed as JSON (once per event), or undefined when it is not JSON. */
export function parsedResult(event: ToolCallEvent): unknown {
  let parsed = resultCache.get(event);
  if (parsed === undefined) {
    parsed = NOT_JSON;
    const text = event.result;
    const first = text.charCodeAt(0);
    // Only objects and arrays: a bare number or word is better matched as text.
    if (first === 123 || first === 91) {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        parsed = NOT_JSON;
      }
    }
    resultCache.set(event, parsed);
  }
  return parsed === NOT_JSON ? undefined : parsed;
}

/** The value a field's base names, before any path. */
export function baseValue(base: FieldBase, call: CallRecord, session: SessionView, forPath: boolean): unknown {
  const event = call.event;
  switch (base) {
    case 'tool':
      return event.tool;
    case 'server':
      return event.server;
    case 'service':
      return event.service;
    case 'category':
      return event.toolClass.category;
    case 'effect':
      return event.toolClass.effect;
    case 'status':
      return event.status;
    case 'error_type':
      return event.errorType;
    case 'origin':
      return call.origin;
    case 'trust':
      return session.trust;
    case 'user':
      return event.userId !== '' ? event.userId : session.userId;
    case 'session':
      return event.sessionId;
    case 'trace':
      return event.traceId;
    case 'span':
      return event.spanId;
    case 'sensitive':
      return event.toolClass.sensitive;
    case 'inferred':
      return event.toolClass.inferred;
    case 'cost':
      return event.toolClass.cost;
    case 'duration':
      return event.durationMs;
    case 'args':
      return event.arguments;
    case 'result':
      return forPath ? parsedResult(event) : event.result;
  }
}

/** The first value at a field (through its path), undefined when absent. */
export function fieldValue(ref: FieldRef, call: CallRecord, session: SessionView): unknown {
  const root = baseValue(ref.base, call, session, ref.path.length > 0);
  return ref.path.length === 0 ? root : firstAtPath(root, ref.path, 0);
}

function firstAtPath(root: unknown, path: readonly string[], from: number): unknown {
  if (from === path.length) return root;
  if (root === null || typeof root !== 'object') return undefined;
  const segment = path[from]!;
  if (segment === '*') {
    for (const child of Array.isArray(root) ? root : Object.values(root)) {
      const found = firstAtPath(child, path, from + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!Object.prototype.hasOwnProperty.call(root, segment)) return undefined;
  return firstAtPath((root as Record<string, unknown>)[segment], path, from + 1);
}

const argsKeyCache = new WeakMap<ToolCallEvent, string>();

/** Keys longer than this are kept as a prefix and a digest: they live in bounded maps of entries, not bytes. */
const MAX_KEY_LENGTH = 256;
const KEY_PREFIX_LENGTH = 200;

/**
 * A field's value as a string key (for `by`, distinct counts and sums); undefined when absent or empty.
 * Objects become canonical JSON (sorted keys), so equal arguments give equal keys; a long key becomes its
 * start and a SHA-256 digest of the whole, still equal exactly when the values are.
 */
export function fieldKey(ref: FieldRef, call: CallRecord, session: SessionView): string | undefined {
  if (ref.base === 'args' && ref.path.length === 0) {
    let key = argsKeyCache.get(call.event);
    if (key === undefined) {
      key = compactKey(canonicalJson(call.event.arguments));
      argsKeyCache.set(call.event, key);
    }
    return key;
  }
  const value = fieldValue(ref, call, session);
  if (value === undefined || value === null || value === '') return undefined;
  return compactKey(typeof value === 'object' ? canonicalJson(value) : String(value));
}

function compactKey(key: string): string {
  if (key.length <= MAX_KEY_LENGTH) return key;
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return `${boundedText(key, KEY_PREFIX_LENGTH)}… sha256:${digest}`;
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
