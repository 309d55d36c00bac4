/** An encoded OTLP export request as it arrived, before decoding. */
export interface EncodedBatch {
  readonly body: Uint8Array;
  /** `application/x-protobuf` or `application/json` (parameters allowed). */
  readonly contentType: string;
  /** `gzip` or '' */
  readonly contentEncoding: string;
  /** Where it came from, for logs: `http`, `nats:<subject>`, `file:<path>:<line>`. */
  readonly origin: string;
}

/** What became of one batch once it was decoded and applied to session state. */
export interface IngestOutcome {
  readonly acceptedSpans: number;
  readonly rejectedSpans: number;
  /** Why spans were rejected (first reasons), '' when none were. */
  readonly errorMessage: string;
}

/**
 * Handles one batch; resolves once its spans are applied to session state (so a source may ack then).
 * Rejects only when the whole batch is unusable (an `OtlpDecodeError` or `UnsupportedMediaTypeError`).
 */
export type BatchHandler = (batch: EncodedBatch) => Promise<IngestOutcome>;

/** A transport that delivers encoded OTLP batches: NATS core, JetStream, files. */
export interface SpanSource {
  readonly name: string;
  /** False while the source cannot receive (its subscription was lost and is being made again). */
  readonly healthy?: boolean;
  start(handler: BatchHandler): Promise<void>;
  /** Stops taking new batches and waits for those in flight. */
  stop(): Promise<void>;
}
