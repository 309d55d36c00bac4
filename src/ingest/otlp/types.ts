/** OTLP data after decoding, before any convention is applied. Ids are lower-case hex. */

export type AttributeValue =
  | string
  | number
  | boolean
  | Uint8Array
  | readonly AttributeValue[]
  | { readonly [key: string]: AttributeValue };

export type Attributes = Readonly<Record<string, AttributeValue>>;

/** OTLP SpanKind numbers (trace.proto). */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** OTLP Status.code numbers. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export interface DecodedResource {
  readonly attributes: Attributes;
  /** `service.name`, or `unknown_service` as the SDKs default it. */
  readonly serviceName: string;
}

export interface DecodedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: SpanKind;
  /** Milliseconds since the epoch, with sub-millisecond precision kept as a fraction. */
  readonly startTimeMs: number;
  readonly endTimeMs: number;
  readonly attributes: Attributes;
  readonly statusCode: StatusCode;
  readonly statusMessage: string;
  /** Shared by all spans of one ResourceSpans. */
  readonly resource: DecodedResource;
  readonly scopeName: string;
}

/** A span the decoder could not accept, with where it was and why. */
export interface RejectedSpan {
  /** e.g. `resourceSpans[0].scopeSpans[1].spans[4]` */
  readonly path: string;
  readonly reason: string;
}

export interface DecodedBatch {
  readonly spans: DecodedSpan[];
  readonly rejected: RejectedSpan[];
}
