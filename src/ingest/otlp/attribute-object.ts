import type { AttributeValue } from './types.js';

/** Attribute values nest (arrays, kvlists); deeper than this is refused rather than recursed into. */
export const MAX_VALUE_DEPTH = 32;

/**
 * Sets an attribute on a plain object. A `__proto__` key is defined as data rather than taken as the
 * prototype setter. A repeated key keeps its last value (OTLP forbids repeats).
 */
export function setAttribute(
  target: Record<string, AttributeValue>,
  key: string,
  value: AttributeValue,
): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
