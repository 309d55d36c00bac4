/**
 * OTLP times are unsigned 64-bit nanoseconds since the epoch; we keep milliseconds as a double.
 * Today's times in nanoseconds (~1.8e18) exceed 2^53, so the conversion splits them into whole
 * milliseconds and a nanosecond remainder, both exact, and rounds once at the end. Protobuf and
 * JSON inputs go through the same final step, so the same time decodes to the same number.
 */

const NANOS_PER_MS = 1_000_000;
// 2^32 = 4294 * 10^6 + 967296
const MS_PER_2_POW_32_NANOS = 4294;
const NANOS_REMAINDER_PER_2_POW_32 = 967_296;

function toMs(wholeMs: number, nanosRemainder: number): number {
  return wholeMs + nanosRemainder / NANOS_PER_MS;
}

/** From the halves of an unsigned 64-bit integer (as protobufjs decodes fixed64). */
export function nanosBitsToMs(low: number, high: number): number {
  const low32 = low >>> 0;
  const high32 = high >>> 0;
  // Below 2^32 * 967297 < 2^53, so exact.
  const rest = high32 * NANOS_REMAINDER_PER_2_POW_32 + low32;
  const restNanos = rest % NANOS_PER_MS;
  return toMs(high32 * MS_PER_2_POW_32_NANOS + (rest - restNanos) / NANOS_PER_MS, restNanos);
}

/** From a decimal string of digits (OTLP/JSON); undefined when it is not one or exceeds uint64. */
export function nanosTextToMs(text: string): number | undefined {
  const length = text.length;
  if (length === 0 || length > 20) return undefined;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return undefined;
  }
  if (length === 20 && text > '18446744073709551615') return undefined;
  if (length <= 6) return toMs(0, Number(text));
  return toMs(Number(text.slice(0, length - 6)), Number(text.slice(length - 6)));
}

/** 2^64 as a double: the JSON numbers from it up are beyond uint64. */
const UINT64_LIMIT = 2 ** 64;

/** From a JSON number; above 2^53 the JSON parser has already rounded it, so no care helps. */
export function nanosNumberToMs(nanos: number): number | undefined {
  if (!Number.isInteger(nanos) || nanos < 0 || nanos >= UINT64_LIMIT) return undefined;
  if (nanos > Number.MAX_SAFE_INTEGER) return nanos / NANOS_PER_MS;
  const restNanos = nanos % NANOS_PER_MS;
  return toMs((nanos - restNanos) / NANOS_PER_MS, restNanos);
}
