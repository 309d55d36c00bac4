import { gzipSync } from 'node:zlib';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { captureError } from '../../helpers/capture-error.js';
import type { EncodedBatch } from '../../../src/ingest/span-source.js';
import {
  OtlpDecodeError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  decodeEncodedBatch,
  encodeExportResponse,
  encodeRpcStatus,
  otlpFormatOf,
} from '../../../src/ingest/otlp/index.js';
import { sdkScenario, toJsonText, toProtobuf } from './otlp-fixtures.js';

const LIMIT = { maxDecompressedBytes: 1024 * 1024 };

function batch(body: Uint8Array, contentType: string, contentEncoding = ''): EncodedBatch {
  return { body, contentType, contentEncoding, origin: 'http' };
}


describe('decodeEncodedBatch', () => {
  it.each([
    'application/x-protobuf',
    'application/protobuf',
    'Application/X-Protobuf; charset=binary',
  ])('decodes protobuf sent as %s', async (contentType) => {
    const { spans } = await sdkScenario();
    const decoded = decodeEncodedBatch(batch(toProtobuf(spans), contentType), LIMIT);
    expect(decoded.spans.map((span) => span.spanId)).toEqual(spans.map((span) => span.spanContext().spanId));
  });

  it.each(['application/json', 'application/json; charset=utf-8'])('decodes JSON sent as %s', async (contentType) => {
    const { spans } = await sdkScenario();
    const body = new TextEncoder().encode(toJsonText(spans));
    const decoded = decodeEncodedBatch(batch(body, contentType), LIMIT);
    expect(decoded.spans).toHaveLength(spans.length);
  });

  it('gunzips a gzip body of either encoding to the same spans as the plain one', async () => {
    const { spans } = await sdkScenario();
    const protobuf = toProtobuf(spans);
    const json = new TextEncoder().encode(toJsonText(spans));
    const plain = decodeEncodedBatch(batch(protobuf, 'application/x-protobuf'), LIMIT);
    expect(decodeEncodedBatch(batch(gzipSync(protobuf), 'application/x-protobuf', 'gzip'), LIMIT)).toEqual(plain);
    expect(decodeEncodedBatch(batch(gzipSync(json), 'application/json', 'GZIP'), LIMIT)).toEqual(plain);
  });

  it('refuses a content type OTLP does not define with UnsupportedMediaTypeError', () => {
    const error = captureError(() => decodeEncodedBatch(batch(new Uint8Array(4), 'text/plain'), LIMIT));
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error.name).toBe('UnsupportedMediaTypeError');
    expect(error.message).toContain('"text/plain"');
    expect((error as UnsupportedMediaTypeError).mediaType).toBe('text/plain');
  });

  it('refuses a content encoding other than gzip with UnsupportedMediaTypeError', () => {
    const error = captureError(() => decodeEncodedBatch(batch(new Uint8Array(4), 'application/json', 'br'), LIMIT));
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error.message).toMatch(/^http: content encoding "br" is not supported/);
  });

  it('stops a gzip bomb at the limit with PayloadTooLargeError', () => {
    const bomb = gzipSync(new Uint8Array(20 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(LIMIT.maxDecompressedBytes);
    const error = captureError(() => decodeEncodedBatch(batch(bomb, 'application/x-protobuf', 'gzip'), LIMIT));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error.name).toBe('PayloadTooLargeError');
    expect(error.message).toContain(`beyond the ${LIMIT.maxDecompressedBytes}-byte limit`);
    expect((error as PayloadTooLargeError).limitBytes).toBe(LIMIT.maxDecompressedBytes);
  });

  it('applies the limit to an uncompressed body too', () => {
    const error = captureError(() =>
      decodeEncodedBatch(batch(new Uint8Array(2048), 'application/x-protobuf'), { maxDecompressedBytes: 1024 }),
    );
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error.message).toBe('http: body of 2048 bytes exceeds the 1024-byte limit');
  });

  it('reports a corrupt gzip stream as OtlpDecodeError with the zlib error as cause', async () => {
    const { spans } = await sdkScenario();
    const gzipped = gzipSync(toProtobuf(spans));
    const truncated = gzipped.subarray(0, gzipped.length - 12);
    const error = captureError(() => decodeEncodedBatch(batch(truncated, 'application/x-protobuf', 'gzip'), LIMIT));
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect(error.message).toMatch(/^http: gzip body of \d+ bytes is corrupt: /);
    expect(error.cause).toBeInstanceOf(Error);
    const notGzip = captureError(() => decodeEncodedBatch(batch(toProtobuf(spans), 'application/x-protobuf', 'gzip'), LIMIT));
    expect(notGzip).toBeInstanceOf(OtlpDecodeError);
  });

  it('reports a JSON body that is not UTF-8 as OtlpDecodeError', () => {
    const error = captureError(() => decodeEncodedBatch(batch(new Uint8Array([0x7b, 0xff, 0x7d]), 'application/json'), LIMIT));
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect(error.message).toBe('http: JSON body is not valid UTF-8');
  });

  it('passes the origin into decoder errors', () => {
    const error = captureError(() =>
      decodeEncodedBatch({ ...batch(new TextEncoder().encode('{'), 'application/json'), origin: 'nats:otlp.traces' }, LIMIT),
    );
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect(error.message).toMatch(/^nats:otlp\.traces: not valid JSON/);
  });
});

describe('otlpFormatOf', () => {
  it('names the encoding and ignores parameters', () => {
    expect(otlpFormatOf('application/x-protobuf')).toBe('protobuf');
    expect(otlpFormatOf(' application/json ;charset=UTF-8')).toBe('json');
    expect(() => otlpFormatOf('')).toThrow(UnsupportedMediaTypeError);
  });
});

describe('encodeExportResponse', () => {
  it('leaves partial_success unset on full success', () => {
    const outcome = { rejectedSpans: 0, errorMessage: '' };
    const protobuf = encodeExportResponse(outcome, 'protobuf');
    expect(protobuf).toHaveLength(0);
    expect(ProtobufTraceSerializer.deserializeResponse(protobuf)).toEqual({});
    expect(JSON.parse(encodeExportResponse(outcome, 'json'))).toEqual({});
  });

  it('reports rejected spans as partial_success, readable by the OpenTelemetry exporter', () => {
    const outcome = { rejectedSpans: 3, errorMessage: 'resourceSpans[0].scopeSpans[0].spans[1]: traceId: all zeros' };
    const fromProtobuf = ProtobufTraceSerializer.deserializeResponse(encodeExportResponse(outcome, 'protobuf'));
    expect(fromProtobuf.partialSuccess?.errorMessage).toBe(outcome.errorMessage);
    expect(Number(fromProtobuf.partialSuccess?.rejectedSpans)).toBe(3);
    const json = encodeExportResponse(outcome, 'json');
    const fromJson = JsonTraceSerializer.deserializeResponse(new TextEncoder().encode(json));
    expect(fromJson).toEqual({ partialSuccess: { rejectedSpans: '3', errorMessage: outcome.errorMessage } });
  });
});

describe('encodeRpcStatus', () => {
  it('writes google.rpc.Status: code as field 1 (varint), message as field 2 (string)', () => {
    const bytes = encodeRpcStatus(3, 'bad', 'protobuf');
    expect([...bytes]).toEqual([0x08, 3, 0x12, 3, ...new TextEncoder().encode('bad')]);
  });

  it('writes the JSON mapping of google.rpc.Status', () => {
    expect(JSON.parse(encodeRpcStatus(13, 'boom', 'json'))).toEqual({ code: 13, message: 'boom' });
  });
});
