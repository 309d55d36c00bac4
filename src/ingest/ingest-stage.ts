import type { Logger } from 'pino';
import type { EventConsumer } from '../normalize/event-consumer.js';
import type { SpanNormalizer } from '../normalize/span-normalizer.js';
import { decodeEncodedBatch } from './otlp/request.js';
import type { DecodedBatch, RejectedSpan } from './otlp/types.js';
import type { EncodedBatch, IngestOutcome } from './span-source.js';

export interface IngestStageOptions {
  readonly normalizer: SpanNormalizer;
  readonly consumer: EventConsumer;
  readonly maxDecompressedBytes: number;
  readonly logger: Logger;
}

export interface IngestCounters {
  batches: number;
  batchesRejected: number;
  spans: number;
  spansRejected: number;
  spansIgnored: number;
  events: number;
}

const REASONS_REPORTED = 3;

/**
 * The stateless stage: decode, normalize, hand on. Any number of instances can run it; it holds no
 * session state. A whole-batch failure rejects (the transport answers 400 / terms the message);
 * bad spans inside a good batch are rejected one by one and reported back.
 */
export class IngestStage {
  readonly counters: IngestCounters = {
    batches: 0,
    batchesRejected: 0,
    spans: 0,
    spansRejected: 0,
    spansIgnored: 0,
    events: 0,
  };

  constructor(private readonly options: IngestStageOptions) {}

  readonly handle = async (batch: EncodedBatch): Promise<IngestOutcome> => {
    this.counters.batches++;
    let decoded;
    try {
      decoded = decodeEncodedBatch(batch, { maxDecompressedBytes: this.options.maxDecompressedBytes });
    } catch (error) {
      this.counters.batchesRejected++;
      this.options.logger.warn({ origin: batch.origin, err: error }, 'rejected an OTLP batch');
      throw error;
    }
    return this.accept(decoded, batch.origin);
  };

  /** Normalizes and hands on an already decoded batch (files are decoded line by line by their reader). */
  accept(decoded: DecodedBatch, origin: string): IngestOutcome {
    const normalized = this.options.normalizer.normalize(decoded.spans);
    const rejected: RejectedSpan[] = [...decoded.rejected, ...normalized.rejected];
    this.counters.spans += decoded.spans.length + decoded.rejected.length;
    this.counters.spansRejected += rejected.length;
    this.counters.spansIgnored += normalized.ignored;
    this.counters.events += normalized.events.length;
    if (normalized.events.length > 0) this.options.consumer.consume(normalized.events);
    if (rejected.length > 0) {
      this.options.logger.warn(
        { origin, rejected: rejected.length, first: rejected.slice(0, REASONS_REPORTED) },
        'rejected spans in an OTLP batch',
      );
    }
    return {
      acceptedSpans: decoded.spans.length - normalized.rejected.length,
      rejectedSpans: rejected.length,
      errorMessage: rejected
        .slice(0, REASONS_REPORTED)
        .map((span) => `${span.path}: ${span.reason}`)
        .join('; '),
    };
  }
}
