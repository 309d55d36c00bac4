import type { AttributeValue, Attributes } from '../../ingest/otlp/types.js';

export type AttributeMap = { readonly [key: string]: AttributeValue };

/** A text attribute, '' when absent. Numbers and booleans as text: producers send ids either way. */
export function textAttribute(attributes: Attributes, key: string): string {
  const value = attributes[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

export function isAttributeMap(value: unknown): value is AttributeMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** A result as text: strings as they are, structured values serialized (never parsed). */
export function resultText(value: AttributeValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return JSON.stringify(value, bytesAsText);
}

function bytesAsText(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value;
}
