/**
 * The OTLP/JSON mapping of an ExportTraceServiceRequest, as the OpenTelemetry Collector's file
 * exporter writes it: hex ids, nanosecond times and 64-bit integers as decimal strings, enums as numbers.
 */

export type OtlpAnyValue =
  | { readonly stringValue: string }
  | { readonly intValue: string }
  | { readonly boolValue: boolean }
  | { readonly doubleValue: number };

export interface OtlpKeyValue {
  readonly key: string;
  readonly value: OtlpAnyValue;
}

export interface OtlpStatus {
  readonly code: number;
  readonly message?: string;
}

export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: readonly OtlpKeyValue[];
  readonly status: OtlpStatus;
}

export interface OtlpExportTraceServiceRequest {
  readonly resourceSpans: readonly {
    readonly resource: { readonly attributes: readonly OtlpKeyValue[] };
    readonly scopeSpans: readonly {
      readonly scope: { readonly name: string; readonly version?: string };
      readonly spans: readonly OtlpSpan[];
    }[];
  }[];
}

export const OTLP_SPAN_KIND_INTERNAL = 1;
export const OTLP_SPAN_KIND_CLIENT = 3;
export const OTLP_STATUS_OK = 1;
export const OTLP_STATUS_ERROR = 2;

export function str(key: string, value: string): OtlpKeyValue {
  return { key, value: { stringValue: value } };
}

export function int(key: string, value: number): OtlpKeyValue {
  return { key, value: { intValue: String(Math.trunc(value)) } };
}

/**
 * Session start (ns since the epoch) plus an offset in milliseconds, as the decimal string OTLP/JSON wants.
 * Offsets keep microsecond precision, as SDKs that time spans with a monotonic clock report them.
 */
export function unixNano(startNs: bigint, offsetMs: number): string {
  return (startNs + BigInt(Math.round(offsetMs * 1000)) * 1000n).toString();
}
