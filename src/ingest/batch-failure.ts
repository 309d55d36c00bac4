/**
 * Error names a `BatchHandler` rejects with when a batch can never be decoded (or is beyond the size
 * limit once inflated), whatever the retries.
 * Matched by name so transports need not import the decoder.
 */
const UNDECODABLE_BATCH_ERRORS: ReadonlySet<string> = new Set(['OtlpDecodeError', 'UnsupportedMediaTypeError', 'PayloadTooLargeError']);

export function isUndecodableBatchError(error: unknown): boolean {
  return error instanceof Error && UNDECODABLE_BATCH_ERRORS.has(error.name);
}

/** `Name: message` of anything thrown, for replies and log lines. */
export function describeFailure(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
