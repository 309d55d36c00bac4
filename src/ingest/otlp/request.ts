import { gunzipSync } from 'node:zlib';
import type { EncodedBatch, IngestOutcome } from '../span-source.js';
import { decodeOtlpJson, decodeOtlpProtobuf } from './decode.js';
import { OtlpDecodeError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';
import { exportTraceServiceResponseType, rpcStatusType } from './schema.js';
import type { DecodedBatch } from './types.js';

/** The two OTLP/HTTP encodings; a response is sent in the encoding of its request. */
export type OtlpFormat = 'protobuf' | 'json';

export interface DecodeBatchOptions {
  /** Largest body accepted, after gunzip when it was compressed. */
  readonly maxDecompressedBytes: number;
}

/**
 * The OTLP encoding a `Content-Type` names; parameters (`; charset=utf-8`) and case are ignored.
 * @throws UnsupportedMediaTypeError for any other media type.
 */
export function otlpFormatOf(contentType: string): OtlpFormat {
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon))
    .trim()
    .toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') {
    return 'protobuf';
  }
  if (mediaType === 'application/json') return 'json';
  throw new UnsupportedMediaTypeError(
    `content type ${JSON.stringify(contentType)} is not OTLP: expected application/x-protobuf, application/protobuf or application/json`,
    contentType,
  );
}

/**
 * Decodes one batch as it arrived: picks the decoder by content type and gunzips first when the
 * content encoding says gzip. Bad spans come back in `rejected`; the batch as a whole throws:
 * @throws UnsupportedMediaTypeError for a content type or encoding OTLP/HTTP does not define.
 * @throws PayloadTooLargeError when the (decompressed) body exceeds `maxDecompressedBytes`.
 * @throws OtlpDecodeError when the body is corrupt gzip, not UTF-8 (JSON), or not a request.
 */
export function decodeEncodedBatch(batch: EncodedBatch, options: DecodeBatchOptions): DecodedBatch {
  const limit = options.maxDecompressedBytes;
  if (!Number.isSafeInteger(limit) || limit <= 0) {
    throw new RangeError(`maxDecompressedBytes must be a positive integer, got ${limit}`);
  }
  const format = otlpFormatOf(batch.contentType);
  const body = decompressedBody(batch, limit);
  if (format === 'protobuf') return decodeOtlpProtobuf(body, batch.origin);
  return decodeOtlpJson(utf8Text(body, batch.origin), batch.origin);
}

function decompressedBody(batch: EncodedBatch, limit: number): Uint8Array {
  const encoding = batch.contentEncoding.trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') {
    if (batch.body.length > limit) {
      throw new PayloadTooLargeError(
        `${batch.origin}: body of ${batch.body.length} bytes exceeds the ${limit}-byte limit`,
        limit,
      );
    }
    return batch.body;
  }
  if (encoding !== 'gzip') {
    throw new UnsupportedMediaTypeError(
      `${batch.origin}: content encoding ${JSON.stringify(batch.contentEncoding)} is not supported: expected gzip or none`,
      batch.contentEncoding,
    );
  }
  try {
    // maxOutputLength stops inflating at the limit, so a gzip bomb never fills memory.
    return gunzipSync(batch.body, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PayloadTooLargeError(
        `${batch.origin}: gzip body of ${batch.body.length} bytes inflates beyond the ${limit}-byte limit`,
        limit,
        { cause: error },
      );
    }
    throw new OtlpDecodeError(
      `${batch.origin}: gzip body of ${batch.body.length} bytes is corrupt: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function utf8Text(body: Uint8Array, origin: string): string {
  try {
    return utf8.decode(body);
  } catch (error) {
    throw new OtlpDecodeError(`${origin}: JSON body is not valid UTF-8`, { cause: error });
  }
}

/**
 * The body of a 200 response to an export: ExportTraceServiceResponse, with `partial_success` set
 * only when spans were rejected (the OTLP spec wants it unset on full success).
 */
export function encodeExportResponse(
  outcome: Pick<IngestOutcome, 'rejectedSpans' | 'errorMessage'>,
  format: 'protobuf',
): Uint8Array;
export function encodeExportResponse(
  outcome: Pick<IngestOutcome, 'rejectedSpans' | 'errorMessage'>,
  format: 'json',
): string;
export function encodeExportResponse(
  outcome: Pick<IngestOutcome, 'rejectedSpans' | 'errorMessage'>,
  format: OtlpFormat,
): Uint8Array | string;
export function encodeExportResponse(
  outcome: Pick<IngestOutcome, 'rejectedSpans' | 'errorMessage'>,
  format: OtlpFormat,
): Uint8Array | string {
  const partialSuccess =
    outcome.rejectedSpans > 0
      ? { rejectedSpans: outcome.rejectedSpans, errorMessage: outcome.errorMessage }
      : undefined;
  if (format === 'json') {
    // OTLP/JSON writes int64 as a decimal string.
    return JSON.stringify(
      partialSuccess === undefined
        ? {}
        : {
            partialSuccess: {
              rejectedSpans: String(partialSuccess.rejectedSpans),
              errorMessage: partialSuccess.errorMessage,
            },
          },
    );
  }
  return exportTraceServiceResponseType.encode({ partialSuccess }).finish();
}

/**
 * The body of a 4xx/5xx response: a google.rpc.Status in the request's encoding, as OTLP/HTTP
 * specifies. `code` is a gRPC status code (e.g. 3 INVALID_ARGUMENT).
 */
export function encodeRpcStatus(code: number, message: string, format: 'protobuf'): Uint8Array;
export function encodeRpcStatus(code: number, message: string, format: 'json'): string;
export function encodeRpcStatus(
  code: number,
  message: string,
  format: OtlpFormat,
): Uint8Array | string;
export function encodeRpcStatus(
  code: number,
  message: string,
  format: OtlpFormat,
): Uint8Array | string {
  if (format === 'json') return JSON.stringify({ code, message });
  return rpcStatusType.encode({ code, message }).finish();
}
