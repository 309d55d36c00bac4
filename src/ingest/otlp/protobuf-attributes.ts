import { MAX_VALUE_DEPTH, setAttribute } from './attribute-object.js';
import { FieldProblem, withinField } from './field-problem.js';
import type { PbAnyValue, PbKeyValue, PbLong } from './schema.js';
import type { AttributeValue, Attributes } from './types.js';

/**
 * Attributes from decoded protobuf KeyValues. A set oneof member is the message's only own
 * property (defaults live on the prototype), which tells an empty string from an absent one.
 * An AnyValue with nothing set has no AttributeValue: that attribute or array element is left out.
 */
export function protobufAttributes(keyValues: readonly PbKeyValue[], depth: number): Attributes {
  const attributes: Record<string, AttributeValue> = {};
  for (let i = 0; i < keyValues.length; i++) {
    const keyValue = keyValues[i]!;
    if (keyValue.value === null) continue;
    let value: AttributeValue | undefined;
    try {
      value = protobufValue(keyValue.value, depth);
    } catch (thrown) {
      throw withinField(thrown, `[${i}].value`);
    }
    if (value !== undefined) setAttribute(attributes, keyValue.key, value);
  }
  return attributes;
}

function protobufValue(value: PbAnyValue, depth: number): AttributeValue | undefined {
  // Most frequent first.
  if (Object.hasOwn(value, 'stringValue')) return value.stringValue;
  if (Object.hasOwn(value, 'intValue')) return int64Value(value.intValue);
  if (Object.hasOwn(value, 'boolValue')) return value.boolValue;
  if (Object.hasOwn(value, 'doubleValue')) return value.doubleValue;
  if (Object.hasOwn(value, 'arrayValue') && value.arrayValue !== null) {
    if (depth >= MAX_VALUE_DEPTH) throw tooDeep('arrayValue');
    return protobufArray(value.arrayValue.values, depth + 1);
  }
  if (Object.hasOwn(value, 'kvlistValue') && value.kvlistValue !== null) {
    if (depth >= MAX_VALUE_DEPTH) throw tooDeep('kvlistValue');
    try {
      return protobufAttributes(value.kvlistValue.values, depth + 1);
    } catch (thrown) {
      throw withinField(thrown, 'kvlistValue.values');
    }
  }
  // Copied so a retained attribute does not keep the whole request body alive.
  if (Object.hasOwn(value, 'bytesValue')) return new Uint8Array(value.bytesValue);
  return undefined;
}

function tooDeep(field: string): FieldProblem {
  return new FieldProblem(field, `nested deeper than ${MAX_VALUE_DEPTH} levels`);
}

function protobufArray(values: readonly PbAnyValue[], depth: number): AttributeValue[] {
  const array: AttributeValue[] = [];
  for (let i = 0; i < values.length; i++) {
    let element: AttributeValue | undefined;
    try {
      element = protobufValue(values[i]!, depth);
    } catch (thrown) {
      throw withinField(thrown, `arrayValue.values[${i}]`);
    }
    if (element !== undefined) array.push(element);
  }
  return array;
}

/**
 * int64 as a number when it is a safe integer, else as its exact decimal string: a number beyond
 * 2^53 would silently be a different integer, while a string at least says what was sent.
 */
function int64Value(value: PbLong | number): number | string {
  if (typeof value === 'number') return value;
  const approximate = value.high * 0x1_0000_0000 + (value.low >>> 0);
  if (Number.isSafeInteger(approximate)) return approximate;
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return (value.unsigned ? bits : BigInt.asIntN(64, bits)).toString();
}
