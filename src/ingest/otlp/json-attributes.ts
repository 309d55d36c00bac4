import { MAX_VALUE_DEPTH, setAttribute } from './attribute-object.js';
import { FieldProblem, withinField } from './field-problem.js';
import type { AttributeValue, Attributes } from './types.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What an unexpected JSON value is, briefly, for a rejection reason or an error message. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object': {
      // Only a caller, never JSON.parse, passes a Buffer or some other class instance.
      const className = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)
        ?.constructor?.name;
      return className === undefined || className === 'Object' ? 'an object' : `a ${className}`;
    }
    default:
      return typeof value;
  }
}

/**
 * Attributes from an OTLP/JSON `KeyValue[]` (absent or null: none). Per the OTLP/JSON mapping,
 * `intValue` may be a number or a decimal string, `doubleValue` a number or a string (also `NaN`,
 * `Infinity`, `-Infinity`), `bytesValue` base64. An AnyValue with nothing set is left out.
 */
export function jsonAttributes(keyValues: unknown, depth: number): Attributes {
  const attributes: Record<string, AttributeValue> = {};
  if (keyValues === undefined || keyValues === null) return attributes;
  if (!Array.isArray(keyValues)) {
    throw new FieldProblem('', `expected an array of KeyValue, got ${describeJson(keyValues)}`);
  }
  for (let i = 0; i < keyValues.length; i++) {
    const keyValue: unknown = keyValues[i];
    if (!isJsonObject(keyValue)) {
      throw new FieldProblem(`[${i}]`, `expected a KeyValue object, got ${describeJson(keyValue)}`);
    }
    const key = keyValue.key ?? '';
    if (typeof key !== 'string') {
      throw new FieldProblem(`[${i}].key`, `expected a string, got ${describeJson(key)}`);
    }
    if (keyValue.value === undefined || keyValue.value === null) continue;
    let value: AttributeValue | undefined;
    try {
      value = jsonValue(keyValue.value, depth);
    } catch (thrown) {
      throw withinField(thrown, `[${i}].value`);
    }
    if (value !== undefined) setAttribute(attributes, key, value);
  }
  return attributes;
}

function jsonValue(value: unknown, depth: number): AttributeValue | undefined {
  if (!isJsonObject(value)) {
    throw new FieldProblem('', `expected an AnyValue object, got ${describeJson(value)}`);
  }
  // Read one member at a time, most frequent first: most values are strings.
  const stringValue = value.stringValue;
  if (stringValue !== undefined && stringValue !== null) {
    if (typeof stringValue === 'string') return stringValue;
    throw new FieldProblem('stringValue', `expected a string, got ${describeJson(stringValue)}`);
  }
  const intValue = value.intValue;
  if (intValue !== undefined && intValue !== null) return jsonInt64(intValue);
  const boolValue = value.boolValue;
  if (boolValue !== undefined && boolValue !== null) {
    if (typeof boolValue === 'boolean') return boolValue;
    throw new FieldProblem('boolValue', `expected true or false, got ${describeJson(boolValue)}`);
  }
  const doubleValue = value.doubleValue;
  if (doubleValue !== undefined && doubleValue !== null) return jsonDouble(doubleValue);
  const arrayValue = value.arrayValue;
  if (arrayValue !== undefined && arrayValue !== null) {
    return jsonArray(containerValues(arrayValue, 'arrayValue', depth), depth + 1);
  }
  const kvlistValue = value.kvlistValue;
  if (kvlistValue !== undefined && kvlistValue !== null) {
    const values = containerValues(kvlistValue, 'kvlistValue', depth);
    try {
      return jsonAttributes(values, depth + 1);
    } catch (thrown) {
      throw withinField(thrown, 'kvlistValue.values');
    }
  }
  const bytesValue = value.bytesValue;
  if (bytesValue !== undefined && bytesValue !== null) return jsonBytes(bytesValue);
  return undefined;
}

/** The `values` of an ArrayValue or KeyValueList, once depth and shape are checked. */
function containerValues(container: unknown, field: string, depth: number): unknown {
  if (depth >= MAX_VALUE_DEPTH) {
    throw new FieldProblem(field, `nested deeper than ${MAX_VALUE_DEPTH} levels`);
  }
  if (!isJsonObject(container)) {
    throw new FieldProblem(field, `expected an object, got ${describeJson(container)}`);
  }
  return container.values;
}

function jsonArray(values: unknown, depth: number): AttributeValue[] {
  const array: AttributeValue[] = [];
  if (values === undefined || values === null) return array;
  if (!Array.isArray(values)) {
    throw new FieldProblem('arrayValue.values', `expected an array, got ${describeJson(values)}`);
  }
  for (let i = 0; i < values.length; i++) {
    let element: AttributeValue | undefined;
    try {
      element = jsonValue(values[i], depth);
    } catch (thrown) {
      throw withinField(thrown, `arrayValue.values[${i}]`);
    }
    if (element !== undefined) array.push(element);
  }
  return array;
}

const INT64_TEXT = /^-?\d{1,20}$/;

/** As the protobuf path does: a safe integer as a number, beyond 2^53 the exact decimal string. */
function jsonInt64(value: unknown): number | string {
  if (typeof value === 'number') {
    // Beyond 2^53 JSON.parse has already rounded it; a string still keeps the type consistent.
    if (Number.isSafeInteger(value)) return value;
    if (Number.isInteger(value) && Math.abs(value) < 2 ** 63) return BigInt(value).toString();
  } else if (typeof value === 'string' && INT64_TEXT.test(value)) {
    const number = Number(value);
    if (Number.isSafeInteger(number)) return number;
    const big = BigInt(value);
    if (BigInt.asIntN(64, big) === big) return big.toString();
    throw new FieldProblem('intValue', `${describeJson(value)} is outside the int64 range`);
  }
  throw new FieldProblem('intValue', `expected an integer, got ${describeJson(value)}`);
}

function jsonDouble(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    const number = value.trim() === '' ? Number.NaN : Number(value);
    if (Number.isFinite(number)) return number;
  }
  throw new FieldProblem('doubleValue', `expected a number, got ${describeJson(value)}`);
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function jsonBytes(value: unknown): Uint8Array {
  if (typeof value === 'string' && BASE64.test(value)) {
    // Copied out of Buffer's shared pool.
    return new Uint8Array(Buffer.from(value, 'base64'));
  }
  throw new FieldProblem('bytesValue', `expected base64 text, got ${describeJson(value)}`);
}
