import type { Attributes, DecodedResource, DecodedSpan } from '../../src/ingest/otlp/types.js';
import { SpanKind, StatusCode } from '../../src/ingest/otlp/types.js';

export const TEST_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const TEST_START_MS = 1_793_612_112_587;

let spanCounter = 0;

/** A hex span id unique within the test run. */
export function testSpanId(): string {
  spanCounter++;
  return (0x5a00_0000 + spanCounter).toString(16).padStart(16, '0');
}

export function decodedResource(serviceName = 'travel-agent', attributes: Attributes = {}): DecodedResource {
  return { serviceName, attributes: { 'service.name': serviceName, ...attributes } };
}

/** A decoded span as the OTLP decoder hands it on: an internal, unset-status root span unless overridden. */
export function decodedSpan(overrides: Partial<DecodedSpan> = {}): DecodedSpan {
  return {
    traceId: TEST_TRACE_ID,
    spanId: testSpanId(),
    parentSpanId: '',
    name: 'span',
    kind: SpanKind.INTERNAL,
    startTimeMs: TEST_START_MS,
    endTimeMs: TEST_START_MS + 100,
    attributes: {},
    statusCode: StatusCode.UNSET,
    statusMessage: '',
    resource: decodedResource(),
    scopeName: 'chainwatch-test',
    ...overrides,
  };
}
