/**
 * One class per way an OTLP batch can be unusable as a whole. A single bad span is not an error:
 * it becomes a `RejectedSpan` and the rest of its batch is kept.
 */

/** The body cannot be parsed at all (broken protobuf or JSON, corrupt gzip, not UTF-8). HTTP 400. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

/** The content type or content encoding is not one OTLP/HTTP defines. HTTP 415. */
export class UnsupportedMediaTypeError extends Error {
  override readonly name = 'UnsupportedMediaTypeError';

  constructor(
    message: string,
    /** The offending `Content-Type` or `Content-Encoding` value, as received. */
    readonly mediaType: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The body, once decompressed, would exceed the configured limit. HTTP 413. */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';

  constructor(
    message: string,
    readonly limitBytes: number,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}
