import protobuf from 'protobufjs';
import { OtlpDecodeError } from './errors.js';
import { FieldProblem, reasonOf, withinField } from './field-problem.js';
import {
  SPAN_ID_BYTES,
  TRACE_ID_BYTES,
  bytesToHex,
  idBytesProblem,
  idTextToHex,
  isZeroHexId,
} from './ids.js';
import { describeJson, isJsonObject, jsonAttributes } from './json-attributes.js';
import type { JsonObject } from './json-attributes.js';
import { protobufAttributes } from './protobuf-attributes.js';
import { exportTraceServiceRequestType } from './schema.js';
import type { PbExportTraceServiceRequest, PbLong, PbSpan } from './schema.js';
import { SpanKind, StatusCode } from './types.js';
import type {
  Attributes,
  DecodedBatch,
  DecodedResource,
  DecodedSpan,
  RejectedSpan,
} from './types.js';
import { nanosBitsToMs, nanosNumberToMs, nanosTextToMs } from './unix-nanos.js';

/*
 * Both decoders walk an ExportTraceServiceRequest into DecodedSpans. A span whose ids are missing or
 * invalid, or one of whose fields cannot be decoded, is rejected with its path and a reason; the rest
 * of the batch is kept. A body that is not an ExportTraceServiceRequest at all throws OtlpDecodeError.
 * Choices the spec leaves open:
 * - int64 attribute values are numbers when safe integers, else exact decimal strings;
 * - an empty AnyValue (nothing set) is left out of attributes and arrays;
 * - a kind or status code number beyond the known ones reads as UNSPECIFIED / UNSET;
 * - an all-zero parentSpanId reads as none (a root span), as some exporters send it.
 */

const UNKNOWN_SERVICE = 'unknown_service';

/**
 * Decodes a binary OTLP ExportTraceServiceRequest. `origin` names the source in error messages.
 * @throws OtlpDecodeError when the bytes are not a protobuf ExportTraceServiceRequest.
 */
export function decodeOtlpProtobuf(bytes: Uint8Array, origin = 'OTLP/protobuf'): DecodedBatch {
  // Our own reader, so its position can say where a failure happened. Given a Buffer (a view, not
  // a copy), protobufjs decodes strings natively instead of in JavaScript: several times faster
  // for long attribute values such as tool results.
  const reader = protobuf.Reader.create(
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  );
  let request: PbExportTraceServiceRequest;
  try {
    request = exportTraceServiceRequestType.decode(reader) as unknown as PbExportTraceServiceRequest;
  } catch (error) {
    throw new OtlpDecodeError(
      `${origin}: not a protobuf ExportTraceServiceRequest (${bytes.length} bytes): ${protobufProblem(error, reader.pos)}`,
      { cause: error },
    );
  }
  const spans: DecodedSpan[] = [];
  const rejected: RejectedSpan[] = [];
  const resourceSpansList = request.resourceSpans;
  for (let r = 0; r < resourceSpansList.length; r++) {
    const resourceSpans = resourceSpansList[r]!;
    let resource: DecodedResource = NO_RESOURCE;
    let resourceProblem = '';
    try {
      resource = decodedResource(
        resourceSpans.resource === null
          ? {}
          : protobufAttributes(resourceSpans.resource.attributes, 0),
      );
    } catch (thrown) {
      resourceProblem = reasonOf(thrown, 'resource.attributes');
    }
    const scopeSpansList = resourceSpans.scopeSpans;
    for (let s = 0; s < scopeSpansList.length; s++) {
      const scopeSpans = scopeSpansList[s]!;
      const scopeName = scopeSpans.scope === null ? '' : scopeSpans.scope.name;
      const spanList = scopeSpans.spans;
      for (let i = 0; i < spanList.length; i++) {
        if (resourceProblem !== '') {
          rejected.push({ path: spanPath(r, s, i), reason: resourceProblem });
          continue;
        }
        try {
          spans.push(protobufSpan(spanList[i]!, resource, scopeName));
        } catch (thrown) {
          rejected.push({ path: spanPath(r, s, i), reason: reasonOf(thrown, '') });
        }
      }
    }
  }
  return { spans, rejected };
}

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest, from its text or from the value JSON.parse gave.
 * `origin` names the source in error messages.
 * @throws OtlpDecodeError when the input is not JSON or not shaped as an ExportTraceServiceRequest
 *   above the span level (e.g. `resourceSpans[0].scopeSpans` not an array).
 */
export function decodeOtlpJson(input: string | unknown, origin = 'OTLP/JSON'): DecodedBatch {
  let request: unknown = input;
  if (typeof input === 'string') {
    try {
      request = JSON.parse(input);
    } catch (error) {
      throw new OtlpDecodeError(`${origin}: not valid JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  if (!isJsonObject(request) || !isPlainObject(request)) {
    throw new OtlpDecodeError(
      `${origin}: expected an ExportTraceServiceRequest object, got ${describeJson(request)}`,
    );
  }
  const spans: DecodedSpan[] = [];
  const rejected: RejectedSpan[] = [];
  const resourceSpansList = structuralArray(request.resourceSpans, 'resourceSpans', origin);
  for (let r = 0; r < resourceSpansList.length; r++) {
    const resourceSpans = structuralObject(resourceSpansList[r], `resourceSpans[${r}]`, origin);
    let resource: DecodedResource = NO_RESOURCE;
    let resourceProblem = '';
    try {
      resource = jsonResource(resourceSpans.resource);
    } catch (thrown) {
      resourceProblem = reasonOf(thrown, 'resource');
    }
    const scopeSpansList = structuralArray(
      resourceSpans.scopeSpans,
      `resourceSpans[${r}].scopeSpans`,
      origin,
    );
    for (let s = 0; s < scopeSpansList.length; s++) {
      const scopePath = `resourceSpans[${r}].scopeSpans[${s}]`;
      const scopeSpans = structuralObject(scopeSpansList[s], scopePath, origin);
      const spanList = structuralArray(scopeSpans.spans, `${scopePath}.spans`, origin);
      let scopeName = '';
      let problem = resourceProblem;
      if (problem === '') {
        try {
          scopeName = jsonScopeName(scopeSpans.scope);
        } catch (thrown) {
          problem = reasonOf(thrown, 'scope');
        }
      }
      for (let i = 0; i < spanList.length; i++) {
        if (problem !== '') {
          rejected.push({ path: spanPath(r, s, i), reason: problem });
          continue;
        }
        try {
          spans.push(jsonSpan(spanList[i], resource, scopeName));
        } catch (thrown) {
          rejected.push({ path: spanPath(r, s, i), reason: reasonOf(thrown, '') });
        }
      }
    }
  }
  return { spans, rejected };
}

/** What JSON.parse makes; a Buffer passed by mistake would otherwise read as an empty request. */
function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

// Stands in while a resource is being decoded; no span ever gets it.
const NO_RESOURCE: DecodedResource = { attributes: {}, serviceName: UNKNOWN_SERVICE };

function decodedResource(attributes: Attributes): DecodedResource {
  const serviceName = attributes['service.name'];
  return {
    attributes,
    serviceName:
      typeof serviceName === 'string' && serviceName !== '' ? serviceName : UNKNOWN_SERVICE,
  };
}

function spanPath(resourceIndex: number, scopeIndex: number, spanIndex: number): string {
  return `resourceSpans[${resourceIndex}].scopeSpans[${scopeIndex}].spans[${spanIndex}]`;
}

function spanKindOf(kind: number): SpanKind {
  return kind >= SpanKind.UNSPECIFIED && kind <= SpanKind.CONSUMER
    ? (kind as SpanKind)
    : SpanKind.UNSPECIFIED;
}

function statusCodeOf(code: number): StatusCode {
  return code >= StatusCode.UNSET && code <= StatusCode.ERROR
    ? (code as StatusCode)
    : StatusCode.UNSET;
}

// --- protobuf ---

function protobufSpan(span: PbSpan, resource: DecodedResource, scopeName: string): DecodedSpan {
  const traceId = protobufId(span.traceId, TRACE_ID_BYTES, 'traceId');
  const spanId = protobufId(span.spanId, SPAN_ID_BYTES, 'spanId');
  const parentSpanId = protobufParentId(span.parentSpanId);
  let attributes: Attributes;
  try {
    attributes = protobufAttributes(span.attributes, 0);
  } catch (thrown) {
    throw withinField(thrown, 'attributes');
  }
  const status = span.status;
  return {
    traceId,
    spanId,
    parentSpanId,
    name: span.name,
    kind: spanKindOf(span.kind),
    startTimeMs: protobufNanosToMs(span.startTimeUnixNano),
    endTimeMs: protobufNanosToMs(span.endTimeUnixNano),
    attributes,
    statusCode: status === null ? StatusCode.UNSET : statusCodeOf(status.code),
    statusMessage: status === null ? '' : status.message,
    resource,
    scopeName,
  };
}

function protobufId(bytes: Uint8Array, byteLength: number, field: string): string {
  const problem = idBytesProblem(bytes, byteLength);
  if (problem !== '') throw new FieldProblem(field, problem);
  const hex = bytesToHex(bytes);
  if (isZeroHexId(hex)) throw new FieldProblem(field, 'all zeros');
  return hex;
}

function protobufParentId(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  if (bytes.length !== SPAN_ID_BYTES) {
    throw new FieldProblem('parentSpanId', `${bytes.length} bytes, expected ${SPAN_ID_BYTES} or none`);
  }
  const hex = bytesToHex(bytes);
  return isZeroHexId(hex) ? '' : hex;
}

function protobufNanosToMs(nanos: PbLong | number): number {
  return typeof nanos === 'number' ? (nanosNumberToMs(nanos) ?? 0) : nanosBitsToMs(nanos.low, nanos.high);
}

/** protobufjs says `at offset N`, `index out of range: N + length > end`, or nothing of where. */
function protobufProblem(error: unknown, position: number): string {
  const message = error instanceof Error ? error.message : String(error);
  const outOfRange = /^index out of range: (\d+) \+ (\d+) > (\d+)$/.exec(message);
  if (outOfRange !== null) {
    return `a field of ${outOfRange[2]} bytes at byte offset ${outOfRange[1]} runs past the end of its message at byte ${outOfRange[3]} (truncated or corrupt)`;
  }
  if (message === 'index out of range') {
    return `a field at byte offset ${position} runs past the end of its enclosing message (truncated or corrupt)`;
  }
  if (/ at offset \d+$/.test(message)) return message.replace(/ at offset (\d+)$/, ' at byte offset $1');
  return `${message} (at byte offset ${position})`;
}

// --- JSON ---

function structuralArray(value: unknown, path: string, origin: string): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  throw new OtlpDecodeError(`${origin}: ${path}: expected an array, got ${describeJson(value)}`);
}

function structuralObject(value: unknown, path: string, origin: string): JsonObject {
  if (isJsonObject(value)) return value;
  throw new OtlpDecodeError(`${origin}: ${path}: expected an object, got ${describeJson(value)}`);
}

function jsonResource(resource: unknown): DecodedResource {
  if (resource === undefined || resource === null) return decodedResource({});
  if (!isJsonObject(resource)) {
    throw new FieldProblem('', `expected an object, got ${describeJson(resource)}`);
  }
  try {
    return decodedResource(jsonAttributes(resource.attributes, 0));
  } catch (thrown) {
    throw withinField(thrown, 'attributes');
  }
}

function jsonScopeName(scope: unknown): string {
  if (scope === undefined || scope === null) return '';
  if (!isJsonObject(scope)) throw new FieldProblem('', `expected an object, got ${describeJson(scope)}`);
  return jsonString(scope.name, 'name');
}

function jsonSpan(span: unknown, resource: DecodedResource, scopeName: string): DecodedSpan {
  if (!isJsonObject(span)) {
    throw new FieldProblem('', `expected a Span object, got ${describeJson(span)}`);
  }
  const traceId = jsonId(span.traceId, TRACE_ID_BYTES, 'traceId');
  const spanId = jsonId(span.spanId, SPAN_ID_BYTES, 'spanId');
  const parentSpanId = jsonParentId(span.parentSpanId);
  const name = jsonString(span.name, 'name');
  const kind = spanKindOf(jsonEnum(span.kind, SPAN_KIND_BY_NAME, 'kind'));
  const startTimeMs = jsonNanosToMs(span.startTimeUnixNano, 'startTimeUnixNano');
  const endTimeMs = jsonNanosToMs(span.endTimeUnixNano, 'endTimeUnixNano');
  let attributes: Attributes;
  try {
    attributes = jsonAttributes(span.attributes, 0);
  } catch (thrown) {
    throw withinField(thrown, 'attributes');
  }
  let statusCode: StatusCode = StatusCode.UNSET;
  let statusMessage = '';
  const status = span.status;
  if (status !== undefined && status !== null) {
    if (!isJsonObject(status)) {
      throw new FieldProblem('status', `expected an object, got ${describeJson(status)}`);
    }
    statusCode = statusCodeOf(jsonEnum(status.code, STATUS_CODE_BY_NAME, 'status.code'));
    statusMessage = jsonString(status.message, 'status.message');
  }
  return {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind,
    startTimeMs,
    endTimeMs,
    attributes,
    statusCode,
    statusMessage,
    resource,
    scopeName,
  };
}

function jsonString(value: unknown, field: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  throw new FieldProblem(field, `expected a string, got ${describeJson(value)}`);
}

function jsonId(value: unknown, byteLength: number, field: string): string {
  if (value === undefined || value === null || value === '') throw new FieldProblem(field, 'missing');
  const hex = typeof value === 'string' ? idTextToHex(value, byteLength) : undefined;
  if (hex === undefined) {
    throw new FieldProblem(field, `expected ${byteLength * 2} hex digits, got ${describeJson(value)}`);
  }
  if (isZeroHexId(hex)) throw new FieldProblem(field, 'all zeros');
  return hex;
}

function jsonParentId(value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  const hex = typeof value === 'string' ? idTextToHex(value, SPAN_ID_BYTES) : undefined;
  if (hex === undefined) {
    throw new FieldProblem(
      'parentSpanId',
      `expected ${SPAN_ID_BYTES * 2} hex digits or nothing, got ${describeJson(value)}`,
    );
  }
  return isZeroHexId(hex) ? '' : hex;
}

function jsonNanosToMs(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  const ms =
    typeof value === 'string'
      ? nanosTextToMs(value)
      : typeof value === 'number'
        ? nanosNumberToMs(value)
        : undefined;
  if (ms === undefined) {
    throw new FieldProblem(field, `expected unsigned 64-bit nanoseconds, got ${describeJson(value)}`);
  }
  return ms;
}

const SPAN_KIND_BY_NAME: ReadonlyMap<string, number> = new Map([
  ['SPAN_KIND_UNSPECIFIED', SpanKind.UNSPECIFIED],
  ['SPAN_KIND_INTERNAL', SpanKind.INTERNAL],
  ['SPAN_KIND_SERVER', SpanKind.SERVER],
  ['SPAN_KIND_CLIENT', SpanKind.CLIENT],
  ['SPAN_KIND_PRODUCER', SpanKind.PRODUCER],
  ['SPAN_KIND_CONSUMER', SpanKind.CONSUMER],
]);

const STATUS_CODE_BY_NAME: ReadonlyMap<string, number> = new Map([
  ['STATUS_CODE_UNSET', StatusCode.UNSET],
  ['STATUS_CODE_OK', StatusCode.OK],
  ['STATUS_CODE_ERROR', StatusCode.ERROR],
]);

/** OTLP/JSON sends enums as integers; the protobuf JSON mapping's names are accepted too. */
function jsonEnum(value: unknown, byName: ReadonlyMap<string, number>, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  const number = typeof value === 'string' ? byName.get(value) : undefined;
  if (number === undefined) {
    throw new FieldProblem(field, `expected an integer or a ${field} name, got ${describeJson(value)}`);
  }
  return number;
}
