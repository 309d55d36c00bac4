import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createOtlpReceiver } from '../../src/api/otlp-receiver.js';
import type { OtlpReceiverOptions } from '../../src/api/otlp-receiver.js';
import { OtlpDecodeError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../src/ingest/otlp/errors.js';
import { decodeEncodedBatch } from '../../src/ingest/otlp/request.js';
import type { DecodedSpan } from '../../src/ingest/otlp/types.js';
import type { BatchHandler, EncodedBatch, IngestOutcome } from '../../src/ingest/span-source.js';
import { capturingLogger, listenLocally } from '../helpers/http-test-server.js';
import { sessionSpans } from '../helpers/otel-session.js';

const TOKEN = 'otlp-token-0123456789abcdef';
const silent = pino({ level: 'silent' });

/** google.rpc.Status, as far as OTLP/HTTP failures use it (details are skipped as unknown fields). */
const RpcStatus = protobuf.Root.fromJSON({
  nested: { Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } } },
}).lookupType('Status');

function decodeStatus(bytes: ArrayBuffer): { code: number; message: string } {
  const status = RpcStatus.toObject(RpcStatus.decode(new Uint8Array(bytes)), { defaults: true });
  return { code: status.code as number, message: status.message as string };
}

/** A handler that records batches and answers with a fixed outcome, or fails as told. */
function recordingHandler(outcome: IngestOutcome | Error = { acceptedSpans: 1, rejectedSpans: 0, errorMessage: '' }) {
  const batches: EncodedBatch[] = [];
  const handler: BatchHandler = async (batch) => {
    batches.push({ ...batch, body: Buffer.from(batch.body) });
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  return { batches, handler };
}

/** Spans of one agent session (an `invoke_agent` root and a `tools/call <tool>` span per tool), from the real SDK. */
const finishedSpans = (tools: readonly string[], service?: string) =>
  sessionSpans({ sessionId: 'session-1', prompt: 'Plan my trip', calls: tools.map((tool) => ({ tool })) }, service);

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(options: Partial<OtlpReceiverOptions> & Pick<OtlpReceiverOptions, 'handler'>): Promise<string> {
  const app = createOtlpReceiver({ maxBodyBytes: 64 * 1024, logger: silent, ...options });
  apps.push(app);
  return `${await listenLocally(app)}/v1/traces`;
}

function protobufRequest(tools = ['search_flights', 'book_flight']): Uint8Array {
  const body = ProtobufTraceSerializer.serializeRequest(finishedSpans(tools));
  if (body === undefined) throw new Error('serializer produced nothing');
  return body;
}

function jsonRequest(tools = ['search_flights']): Uint8Array {
  const body = JsonTraceSerializer.serializeRequest(finishedSpans(tools));
  if (body === undefined) throw new Error('serializer produced nothing');
  return body;
}

const post = (url: string, body: Uint8Array | string, headers: Record<string, string>): Promise<Response> =>
  fetch(url, { method: 'POST', body, headers });

describe('OTLP/HTTP receiver: accepted batches', () => {
  it('hands a binary protobuf body to the handler as sent and answers with an empty ExportTraceServiceResponse', async () => {
    const { batches, handler } = recordingHandler();
    const url = await start({ handler });
    const body = protobufRequest();

    const response = await post(url, body, { 'content-type': 'application/x-protobuf' });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-protobuf');
    const decoded = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await response.arrayBuffer()));
    expect(decoded.partialSuccess).toBeUndefined();
    expect(batches).toHaveLength(1);
    expect(Buffer.compare(Buffer.from(batches[0]!.body), Buffer.from(body))).toBe(0);
    expect(batches[0]).toMatchObject({ contentType: 'application/x-protobuf', contentEncoding: '', origin: 'http' });
  });

  it('accepts JSON with a charset parameter and answers in JSON', async () => {
    const { batches, handler } = recordingHandler();
    const url = await start({ handler });
    const body = jsonRequest();

    const response = await post(url, body, { 'content-type': 'application/json; charset=utf-8' });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({});
    expect(batches[0]!.contentType).toBe('application/json; charset=utf-8');
    expect(Buffer.from(batches[0]!.body).toString('utf8')).toBe(Buffer.from(body).toString('utf8'));
  });

  it('reports rejected spans as partial_success in the request encoding', async () => {
    const outcome = { acceptedSpans: 1, rejectedSpans: 2, errorMessage: 'resourceSpans[0].scopeSpans[0].spans[1]: bad span id' };
    const { handler } = recordingHandler(outcome);
    const url = await start({ handler });

    const binary = await post(url, protobufRequest(), { 'content-type': 'application/x-protobuf' });
    const json = await post(url, jsonRequest(), { 'content-type': 'application/json' });

    expect(binary.status).toBe(200);
    const decoded = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await binary.arrayBuffer()));
    expect(Number(decoded.partialSuccess?.rejectedSpans)).toBe(2);
    expect(decoded.partialSuccess?.errorMessage).toBe(outcome.errorMessage);
    expect(json.status).toBe(200);
    const body = (await json.json()) as { partialSuccess?: { rejectedSpans?: unknown; errorMessage?: unknown } };
    expect(Number(body.partialSuccess?.rejectedSpans)).toBe(2);
    expect(body.partialSuccess?.errorMessage).toBe(outcome.errorMessage);
  });

  it('passes a gzipped body through undecoded, with its content encoding', async () => {
    const { batches, handler } = recordingHandler();
    const url = await start({ handler });
    const zipped = gzipSync(protobufRequest());

    const response = await post(url, zipped, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });

    expect(response.status).toBe(200);
    expect(batches[0]!.contentEncoding).toBe('gzip');
    expect(Buffer.compare(Buffer.from(batches[0]!.body), zipped)).toBe(0);
  });

  it('works with the OpenTelemetry SDK exporter as the client', async () => {
    const { batches, handler } = recordingHandler();
    const url = await start({ handler, tokens: [TOKEN] });
    const exporter = new OTLPTraceExporter({ url, headers: { authorization: `Bearer ${TOKEN}` } });
    const spans = finishedSpans(['read_file']);

    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(spans, resolve));
    await exporter.shutdown();

    expect(result.error).toBeUndefined();
    expect(result.code).toBe(0);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.contentType).toBe('application/x-protobuf');
  });
});

describe('OTLP/HTTP receiver: failures', () => {
  it('answers 415 to text/plain without calling the handler', async () => {
    const { batches, handler } = recordingHandler();
    const url = await start({ handler });

    const response = await post(url, 'hello', { 'content-type': 'text/plain' });

    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const status = (await response.json()) as { message?: string };
    expect(status.message).toContain('text/plain');
    expect(batches).toHaveLength(0);
  });

  it('answers 415 to a content coding OTLP does not define', async () => {
    const { batches, handler } = recordingHandler();
    const url = await start({ handler });

    const response = await post(url, protobufRequest(), { 'content-type': 'application/x-protobuf', 'content-encoding': 'br' });

    expect(response.status).toBe(415);
    expect(decodeStatus(await response.arrayBuffer()).message).toContain("'br'");
    expect(batches).toHaveLength(0);
  });

  it('answers 413 with a Status when the body is over the limit', async () => {
    const { batches, handler } = recordingHandler();
    const url = await start({ handler, maxBodyBytes: 1024 });

    const response = await post(url, new Uint8Array(4096), { 'content-type': 'application/x-protobuf' });

    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/x-protobuf');
    expect(decodeStatus(await response.arrayBuffer()).message).toContain('1024 bytes');
    expect(batches).toHaveLength(0);
  });

  it('answers 400 with a google.rpc.Status in the request encoding when the handler cannot decode the batch', async () => {
    const reason = 'resourceSpans: expected an array at byte 12';
    const { handler } = recordingHandler(new OtlpDecodeError(reason));
    const url = await start({ handler });

    const binary = await post(url, new Uint8Array([0xff, 0x01]), { 'content-type': 'application/x-protobuf' });
    const json = await post(url, '{"resourceSpans": 5}', { 'content-type': 'application/json' });

    expect(binary.status).toBe(400);
    expect(binary.headers.get('content-type')).toBe('application/x-protobuf');
    expect(decodeStatus(await binary.arrayBuffer())).toEqual({ code: 3, message: reason });
    expect(json.status).toBe(400);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toMatchObject({ message: reason });
  });

  it('maps the handler’s PayloadTooLargeError to 413 and UnsupportedMediaTypeError to 415', async () => {
    const tooLarge = await start({ handler: recordingHandler(new PayloadTooLargeError('gunzipped body over 64 MiB', 64)).handler });
    const unsupported = await start({
      handler: recordingHandler(new UnsupportedMediaTypeError('deflate is not supported', 'deflate')).handler,
    });

    const first = await post(tooLarge, protobufRequest(), { 'content-type': 'application/x-protobuf' });
    const second = await post(unsupported, protobufRequest(), { 'content-type': 'application/x-protobuf' });

    expect(first.status).toBe(413);
    expect(decodeStatus(await first.arrayBuffer()).message).toBe('gunzipped body over 64 MiB');
    expect(second.status).toBe(415);
    expect(decodeStatus(await second.arrayBuffer()).message).toBe('deflate is not supported');
  });

  it('answers 500 to an unexpected handler failure, logs it without leaking it, and keeps serving', async () => {
    const { logger, records } = capturingLogger();
    let fail = true;
    const handler: BatchHandler = async () => {
      if (fail) throw new Error('session store exploded');
      return { acceptedSpans: 1, rejectedSpans: 0, errorMessage: '' };
    };
    const url = await start({ handler, logger });

    const failed = await post(url, protobufRequest(), { 'content-type': 'application/x-protobuf' });
    fail = false;
    const next = await post(url, protobufRequest(), { 'content-type': 'application/x-protobuf' });

    expect(failed.status).toBe(500);
    expect(decodeStatus(await failed.arrayBuffer()).message).not.toContain('exploded');
    const logged = records.find((record) => record.level === 50);
    expect((logged?.err as { message?: string } | undefined)?.message).toBe('session store exploded');
    expect(next.status).toBe(200);
  });

  it('answers 404 with a Status outside /v1/traces', async () => {
    const url = await start({ handler: recordingHandler().handler });

    const response = await post(url.replace('/v1/traces', '/v1/metrics'), new Uint8Array(0), {
      'content-type': 'application/x-protobuf',
    });

    expect(response.status).toBe(404);
    expect(decodeStatus(await response.arrayBuffer()).message).toContain('/v1/metrics');
  });

  it('answers 503 with Retry-After when the concurrent batch limit is reached (a retryable code)', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const handler: BatchHandler = async () => {
      calls++;
      await gate;
      return { acceptedSpans: 1, rejectedSpans: 0, errorMessage: '' };
    };
    const url = await start({ handler, maxConcurrentBatches: 1 });
    const headers = { 'content-type': 'application/x-protobuf' };

    const first = post(url, protobufRequest(), headers);
    while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await post(url, protobufRequest(), headers);
    release();

    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    expect((await first).status).toBe(200);
    expect(calls).toBe(1);
  });
});

describe('OTLP/HTTP receiver: uploads in progress', () => {
  it('counts a request against the limit from its arrival, so slow uploads cannot pile up', async () => {
    const { batches, handler } = recordingHandler();
    const url = new URL(await start({ handler, maxConcurrentBatches: 1 }));
    const body = Buffer.from(protobufRequest());
    // A client that sends its headers and half its body, then stalls.
    const slow = net.connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => slow.once('connect', resolve));
    slow.write(`POST /v1/traces HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/x-protobuf\r\ncontent-length: ${body.length}\r\n\r\n`);
    slow.write(body.subarray(0, body.length >> 1));
    await new Promise((resolve) => setTimeout(resolve, 50));

    const refused = await post(url.href, body, { 'content-type': 'application/x-protobuf' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');

    // Once the stalled upload is gone, its place is free again.
    const closed = new Promise((resolve) => slow.once('close', resolve));
    slow.destroy();
    await closed;
    await waitUntilAccepted(url.href, body);
    expect(batches).toHaveLength(1);
  });
});

describe('OTLP/HTTP receiver: stalled uploads', () => {
  it('cuts a request that is not received within the request timeout, and frees its place', async () => {
    const { batches, handler } = recordingHandler();
    const url = new URL(await start({ handler, maxConcurrentBatches: 1, requestTimeoutMs: 300 }));
    const body = Buffer.from(protobufRequest());
    // One byte now and then keeps the connection busy but never finishes the body.
    const slow = net.connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => slow.once('connect', resolve));
    const closed = new Promise((resolve) => slow.once('close', resolve));
    slow.on('error', () => {});
    slow.write(`POST /v1/traces HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/x-protobuf\r\ncontent-length: ${body.length}\r\n\r\n`);
    const drip = setInterval(() => slow.write('x'), 50);
    try {
      await closed;
    } finally {
      clearInterval(drip);
    }
    await waitUntilAccepted(url.href, body);
    expect(batches).toHaveLength(1);
  });
});

/** Posts until the receiver takes the batch (its slot is freed when the server notices the abort). */
async function waitUntilAccepted(url: string, body: Uint8Array): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await post(url, body, { 'content-type': 'application/x-protobuf' })).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the receiver never took the batch');
}

describe('OTLP/HTTP receiver: bearer tokens', () => {
  it('answers 401 with a challenge when the token is missing or wrong, and accepts the right one', async () => {
    const { batches, handler } = recordingHandler();
    const url = await start({ handler, tokens: [TOKEN] });
    const body = protobufRequest();

    const missing = await post(url, body, { 'content-type': 'application/x-protobuf' });
    const wrong = await post(url, body, { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}x` });
    const right = await post(url, body, { 'content-type': 'application/x-protobuf', authorization: `bearer ${TOKEN}` });

    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(decodeStatus(await missing.arrayBuffer()).code).toBe(16);
    expect(wrong.status).toBe(401);
    expect(right.status).toBe(200);
    expect(batches).toHaveLength(1);
  });

  it('is open when no tokens are configured', async () => {
    const url = await start({ handler: recordingHandler().handler, tokens: [] });

    const response = await post(url, protobufRequest(), { 'content-type': 'application/x-protobuf' });

    expect(response.status).toBe(200);
  });

  it('refuses to start with a malformed token or a bad limit, naming it', () => {
    const handler = recordingHandler().handler;
    expect(() => createOtlpReceiver({ handler, maxBodyBytes: 1024, logger: silent, tokens: ['has space in it 1234'] })).toThrow(
      /otlp tokens\[0\]/,
    );
    expect(() => createOtlpReceiver({ handler, maxBodyBytes: 0, logger: silent })).toThrow(/maxBodyBytes/);
  });
});

describe('OTLP/HTTP receiver with the real OTLP decoder', () => {
  /** What the ingest stage does with a batch, minus normalization: decode, count, explain rejections. */
  function decodingHandler(maxDecompressedBytes = 1024 * 1024) {
    const spans: DecodedSpan[] = [];
    const handler: BatchHandler = async (batch) => {
      const decoded = decodeEncodedBatch(batch, { maxDecompressedBytes });
      spans.push(...decoded.spans);
      return {
        acceptedSpans: decoded.spans.length,
        rejectedSpans: decoded.rejected.length,
        errorMessage: decoded.rejected.map((r) => `${r.path}: ${r.reason}`).join('; '),
      };
    };
    return { spans, handler };
  }

  it('decodes what the OpenTelemetry SDK exporter sends', async () => {
    const { spans, handler } = decodingHandler();
    const url = await start({ handler });
    const exporter = new OTLPTraceExporter({ url });
    const sent = finishedSpans(['search_flights', 'book_flight'], 'travel-agent');

    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(sent, resolve));
    await exporter.shutdown();

    expect(result.code).toBe(0);
    expect(spans.map((span) => span.name).sort()).toEqual(sent.map((span) => span.name).sort());
    expect(spans.every((span) => span.resource.serviceName === 'travel-agent')).toBe(true);
    const booked = spans.find((span) => span.name === 'tools/call book_flight');
    expect(booked?.attributes['gen_ai.tool.name']).toBe('book_flight');
    expect(booked?.spanId).toBe(sent.find((span) => span.name === 'tools/call book_flight')?.spanContext().spanId);
  });

  it('answers partial_success naming a span with a bad id, and keeps the others', async () => {
    const { spans, handler } = decodingHandler();
    const url = await start({ handler });
    const request = JSON.parse(Buffer.from(jsonRequest(['read_file', 'send_email'])).toString('utf8')) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string; spanId: string }> }> }>;
    };
    const broken = request.resourceSpans[0]!.scopeSpans[0]!.spans.find((span) => span.name === 'tools/call send_email')!;
    broken.spanId = 'not-a-hex-span-id';

    const response = await post(url, JSON.stringify(request), { 'content-type': 'application/json' });

    expect(response.status).toBe(200);
    const body = (await response.json()) as { partialSuccess?: { rejectedSpans?: string; errorMessage?: string } };
    expect(body.partialSuccess?.rejectedSpans).toBe('1');
    expect(body.partialSuccess?.errorMessage).toMatch(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[\d\]: /);
    expect(spans.map((span) => span.name).sort()).toEqual(['invoke_agent support-assistant', 'tools/call read_file']);
  });

  it('answers 400 to a corrupt protobuf body and 413 to a gzip body inflating past the limit', async () => {
    const { spans, handler } = decodingHandler(64 * 1024);
    const url = await start({ handler });

    const corrupt = await post(url, new Uint8Array([0x0a, 0xff, 0xff, 0x01]), { 'content-type': 'application/x-protobuf' });
    const bomb = await post(url, gzipSync(new Uint8Array(1024 * 1024)), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });

    expect(corrupt.status).toBe(400);
    expect(decodeStatus(await corrupt.arrayBuffer()).message).toContain('not a protobuf ExportTraceServiceRequest');
    expect(bomb.status).toBe(413);
    expect(decodeStatus(await bomb.arrayBuffer()).message).toContain('limit');
    expect(spans).toHaveLength(0);
  });
});
