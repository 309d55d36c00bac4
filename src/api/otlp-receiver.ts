import { createServer } from 'node:http';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { OtlpDecodeError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../ingest/otlp/errors.js';
import { encodeExportResponse, encodeRpcStatus, otlpFormatOf } from '../ingest/otlp/request.js';
import type { OtlpFormat } from '../ingest/otlp/request.js';
import type { BatchHandler, EncodedBatch } from '../ingest/span-source.js';
import { BEARER_CHALLENGE, createBearerCheck } from './bearer-auth.js';
import { ApiConfigError } from './errors.js';

export interface OtlpReceiverOptions {
  readonly handler: BatchHandler;
  /** Largest request body accepted as sent (before gunzip); a larger one gets 413. */
  readonly maxBodyBytes: number;
  /** Bearer tokens every request must carry; none leaves the receiver open (it often sits behind a collector). */
  readonly tokens?: readonly string[];
  readonly logger: FastifyBaseLogger;
  /**
   * Requests being received or handled at once; beyond it the receiver answers 503 with `Retry-After`
   * (default 64). With `maxBodyBytes`, this bounds the memory uploads in progress hold.
   */
  readonly maxConcurrentBatches?: number;
  /**
   * A request not received and answered within this is cut (408), so stalled uploads cannot hold the
   * concurrency limit (default 30 s; Fastify's own default is no limit).
   */
  readonly requestTimeoutMs?: number;
  /** Called with the status of every refusal (4xx, 5xx), for metrics: many are answered before the handler runs. */
  readonly onRefused?: (httpStatus: number) => void;
}

export const OTLP_TRACES_PATH = '/v1/traces';

/** Media types taken as OTLP (the decoder reads `application/protobuf` as binary protobuf too). */
const OTLP_MEDIA_TYPES = ['application/x-protobuf', 'application/protobuf', 'application/json'];

/** google.rpc.Code values. OTLP/HTTP clients act on the HTTP status; the code is for their logs. */
const RpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

interface Failure {
  readonly httpStatus: number;
  readonly rpcCode: number;
  readonly message: string;
}

/** How to answer: the request's own encoding and media type, or JSON when it has none OTLP defines. */
interface ResponseFormat {
  readonly format: OtlpFormat;
  readonly mediaType: string;
}

const JSON_RESPONSE: ResponseFormat = { format: 'json', mediaType: 'application/json' };

function responseFormatOf(contentType: string | undefined): ResponseFormat {
  try {
    const format = otlpFormatOf(contentType ?? '');
    const essence = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
    return { format, mediaType: format === 'json' ? 'application/json' : essence };
  } catch {
    return JSON_RESPONSE;
  }
}

/** `gzip` or '' as `EncodedBatch` wants it; undefined for a coding OTLP does not define. */
function contentCodingOf(header: string | undefined): string | undefined {
  const coding = (header ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return '';
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip';
  return undefined;
}

const toBody = (payload: Uint8Array | string): Buffer | string =>
  typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);

/** Failures answer with a google.rpc.Status in the request's encoding. */
function sendFailure(reply: FastifyReply, failure: Failure, contentType: string | undefined): FastifyReply {
  const { format, mediaType } = responseFormatOf(contentType);
  return reply
    .code(failure.httpStatus)
    .type(mediaType)
    .send(toBody(encodeRpcStatus(failure.rpcCode, failure.message, format)));
}

/**
 * An OTLP/HTTP trace receiver (`POST /v1/traces`, binary protobuf or JSON, optionally gzipped). The body
 * is handed to `handler` undecoded; its outcome becomes an ExportTraceServiceResponse, with
 * `partial_success` when spans were rejected. Errors map once: 415 unsupported media type or coding,
 * 413 too large, 400 undecodable, 401 bad token, 503 (retryable) when busy, 500 for anything else —
 * logged, and the receiver keeps serving.
 */
export function createOtlpReceiver(options: OtlpReceiverOptions): FastifyInstance {
  const { handler, maxBodyBytes, logger } = options;
  const maxConcurrentBatches = options.maxConcurrentBatches ?? 64;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new ApiConfigError(`maxBodyBytes: ${maxBodyBytes} must be a positive integer`);
  }
  if (!Number.isSafeInteger(maxConcurrentBatches) || maxConcurrentBatches <= 0) {
    throw new ApiConfigError(`maxConcurrentBatches: ${maxConcurrentBatches} must be a positive integer`);
  }
  const tokens = options.tokens ?? [];
  const authorized = tokens.length > 0 ? createBearerCheck(tokens, 'otlp tokens') : undefined;

  const classify = (error: unknown, contentType: string): Failure => {
    if (error instanceof UnsupportedMediaTypeError) {
      return { httpStatus: 415, rpcCode: RpcCode.UNIMPLEMENTED, message: error.message };
    }
    if (error instanceof PayloadTooLargeError) {
      return { httpStatus: 413, rpcCode: RpcCode.RESOURCE_EXHAUSTED, message: error.message };
    }
    if (error instanceof OtlpDecodeError) {
      return { httpStatus: 400, rpcCode: RpcCode.INVALID_ARGUMENT, message: error.message };
    }
    const fastifyError = error as Partial<FastifyError>;
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return {
        httpStatus: 413,
        rpcCode: RpcCode.RESOURCE_EXHAUSTED,
        message: `request body exceeds the limit of ${maxBodyBytes} bytes`,
      };
    }
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const received = contentType === '' ? 'no Content-Type' : `Content-Type '${contentType}'`;
      return {
        httpStatus: 415,
        rpcCode: RpcCode.UNIMPLEMENTED,
        message: `${received} is not OTLP: send application/x-protobuf or application/json`,
      };
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return { httpStatus: status, rpcCode: RpcCode.INVALID_ARGUMENT, message: fastifyError.message ?? 'bad request' };
    }
    return { httpStatus: 500, rpcCode: RpcCode.INTERNAL, message: 'internal error while handling the batch' };
  };

  // Per-request log lines would dominate the log at ingest rates; refusals and failures are logged below.
  const refuse = (reply: FastifyReply, failure: Failure, contentType: string | undefined): FastifyReply => {
    options.onRefused?.(failure.httpStatus);
    return sendFailure(reply, failure, contentType);
  };
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: maxBodyBytes,
    requestTimeout: requestTimeoutMs,
    connectionTimeout: requestTimeoutMs,
    // Node checks request timeouts every 30 s by default: check often enough for the timeout to hold.
    serverFactory: (handle) =>
      createServer({ requestTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(30_000, Math.max(100, requestTimeoutMs / 2)) }, handle),
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors: (error, request, reply) => {
      const failure = { httpStatus: 400, rpcCode: RpcCode.INVALID_ARGUMENT, message: `bad request: ${error.message}` };
      return refuse(reply, failure, request.headers['content-type']);
    },
  });

  // Bodies stay raw: the handler decodes (and gunzips) them, so NATS and HTTP share one decoder.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    OTLP_MEDIA_TYPES,
    { parseAs: 'buffer', bodyLimit: maxBodyBytes },
    (_request, body, done) => done(null, body),
  );

  if (authorized !== undefined) {
    app.addHook('onRequest', async (request, reply) => {
      if (authorized(request.headers.authorization)) return;
      reply.header('www-authenticate', BEARER_CHALLENGE);
      const failure = { httpStatus: 401, rpcCode: RpcCode.UNAUTHENTICATED, message: 'missing or invalid bearer token' };
      return refuse(reply, failure, request.headers['content-type']);
    });
  }

  // Counted from the request's arrival, not the handler's start: bodies are buffered before the handler
  // runs, so a cap on handling alone would let any number of slow uploads hold memory.
  let inFlight = 0;
  const counted = new WeakSet<object>();
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST' || request.routeOptions.url !== OTLP_TRACES_PATH) return;
    if (inFlight >= maxConcurrentBatches) {
      reply.header('retry-after', '1');
      const failure = { httpStatus: 503, rpcCode: RpcCode.UNAVAILABLE, message: 'receiver busy: retry later' };
      return refuse(reply, failure, request.headers['content-type']);
    }
    inFlight++;
    counted.add(request);
  });
  const release = async (request: object): Promise<void> => {
    if (counted.delete(request)) inFlight--;
  };
  app.addHook('onResponse', release);
  app.addHook('onRequestAbort', release);

  app.post(OTLP_TRACES_PATH, async (request, reply) => {
    const contentType = request.headers['content-type'] ?? '';
    const format = otlpFormatOf(contentType); // UnsupportedMediaTypeError (415) for anything else
    if (!Buffer.isBuffer(request.body)) {
      throw new UnsupportedMediaTypeError(`a POST to ${OTLP_TRACES_PATH} needs an OTLP body`, contentType);
    }
    const contentEncodingHeader = request.headers['content-encoding'] ?? '';
    const contentEncoding = contentCodingOf(contentEncodingHeader);
    if (contentEncoding === undefined) {
      throw new UnsupportedMediaTypeError(
        `Content-Encoding '${contentEncodingHeader}' is not supported: send gzip or none`,
        contentEncodingHeader,
      );
    }
    const batch: EncodedBatch = { body: request.body, contentType, contentEncoding, origin: 'http' };
    const outcome = await handler(batch);
    const response = encodeExportResponse({ rejectedSpans: outcome.rejectedSpans, errorMessage: outcome.errorMessage }, format);
    return reply.code(200).type(responseFormatOf(contentType).mediaType).send(toBody(response));
  });

  app.setNotFoundHandler((request, reply) => {
    const failure = {
      httpStatus: 404,
      rpcCode: RpcCode.NOT_FOUND,
      message: `no OTLP endpoint at ${request.method} ${request.url.slice(0, 200)}: send traces to POST ${OTLP_TRACES_PATH}`,
    };
    return refuse(reply, failure, request.headers['content-type']);
  });

  app.setErrorHandler((error, request, reply) => {
    const failure = classify(error, request.headers['content-type'] ?? '');
    if (failure.httpStatus >= 500) {
      request.log.error({ err: error }, 'OTLP/HTTP request failed');
    } else {
      request.log.info({ status: failure.httpStatus, reason: failure.message }, 'OTLP/HTTP request refused');
    }
    return refuse(reply, failure, request.headers['content-type']);
  });

  return app;
}
