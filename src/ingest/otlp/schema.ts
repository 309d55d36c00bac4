import protobuf from 'protobufjs';
import type { Type } from 'protobufjs';

/*
 * The subset of opentelemetry-proto (and google.rpc.Status) that chainwatch reads or writes, kept as
 * proto text so there is no .proto asset to ship. Field numbers are those of the upstream files:
 *   opentelemetry/proto/common/v1/common.proto, resource/v1/resource.proto, trace/v1/trace.proto,
 *   collector/trace/v1/trace_service.proto; google/rpc/status.proto.
 * Fields we never read are left out on purpose: protobufjs skips unknown fields without decoding
 * them, which is cheaper than decoding span events and links only to drop them. Left out:
 *   Resource.dropped_attributes_count = 2, entity_refs = 3;
 *   InstrumentationScope.version = 2, attributes = 3, dropped_attributes_count = 4;
 *   ResourceSpans.schema_url = 3; ScopeSpans.schema_url = 3;
 *   Span.trace_state = 3, dropped_attributes_count = 10, events = 11, dropped_events_count = 12,
 *   links = 13, dropped_links_count = 14, flags = 16;
 *   google.rpc.Status.details = 3 (we never send details).
 */

const COMMON_PROTO = `
syntax = "proto3";
package opentelemetry.proto.common.v1;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}

message ArrayValue {
  repeated AnyValue values = 1;
}

message KeyValueList {
  repeated KeyValue values = 1;
}

message KeyValue {
  string key = 1;
  AnyValue value = 2;
}

message InstrumentationScope {
  string name = 1;
}
`;

const RESOURCE_PROTO = `
syntax = "proto3";
package opentelemetry.proto.resource.v1;

message Resource {
  repeated opentelemetry.proto.common.v1.KeyValue attributes = 1;
}
`;

const TRACE_PROTO = `
syntax = "proto3";
package opentelemetry.proto.trace.v1;

message ResourceSpans {
  opentelemetry.proto.resource.v1.Resource resource = 1;
  repeated ScopeSpans scope_spans = 2;
}

message ScopeSpans {
  opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
  repeated Span spans = 2;
}

message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  bytes parent_span_id = 4;
  string name = 5;

  enum SpanKind {
    SPAN_KIND_UNSPECIFIED = 0;
    SPAN_KIND_INTERNAL = 1;
    SPAN_KIND_SERVER = 2;
    SPAN_KIND_CLIENT = 3;
    SPAN_KIND_PRODUCER = 4;
    SPAN_KIND_CONSUMER = 5;
  }
  SpanKind kind = 6;

  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated opentelemetry.proto.common.v1.KeyValue attributes = 9;
  Status status = 15;
}

message Status {
  reserved 1;
  string message = 2;

  enum StatusCode {
    STATUS_CODE_UNSET = 0;
    STATUS_CODE_OK = 1;
    STATUS_CODE_ERROR = 2;
  }
  StatusCode code = 3;
}
`;

const TRACE_SERVICE_PROTO = `
syntax = "proto3";
package opentelemetry.proto.collector.trace.v1;

message ExportTraceServiceRequest {
  repeated opentelemetry.proto.trace.v1.ResourceSpans resource_spans = 1;
}

message ExportTraceServiceResponse {
  ExportTracePartialSuccess partial_success = 1;
}

message ExportTracePartialSuccess {
  int64 rejected_spans = 1;
  string error_message = 2;
}
`;

const RPC_STATUS_PROTO = `
syntax = "proto3";
package google.rpc;

message Status {
  int32 code = 1;
  string message = 2;
}
`;

/** The proto text of every file above, in dependency order. */
export const OTLP_TRACE_SCHEMA: readonly string[] = [
  COMMON_PROTO,
  RESOURCE_PROTO,
  TRACE_PROTO,
  TRACE_SERVICE_PROTO,
  RPC_STATUS_PROTO,
];

function buildRoot(): protobuf.Root {
  const root = new protobuf.Root();
  for (const source of OTLP_TRACE_SCHEMA) protobuf.parse(source, root);
  // parse() only records references across packages; settle them now so a typo fails at load.
  root.resolveAll();
  return root;
}

const root = buildRoot();

export const exportTraceServiceRequestType: Type = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
);
export const exportTraceServiceResponseType: Type = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
);
export const rpcStatusType: Type = root.lookupType('google.rpc.Status');

/*
 * What `exportTraceServiceRequestType.decode` returns, for walking it without a toObject copy.
 * protobufjs puts proto3 defaults on the prototype, so an absent scalar reads as its default, an
 * absent message as null, and a set oneof member is the only one that is an own property.
 */

/** protobufjs decodes 64-bit fields to `long` objects; `low`/`high` are signed 32-bit halves. */
export interface PbLong {
  readonly low: number;
  readonly high: number;
  readonly unsigned: boolean;
}

export interface PbAnyValue {
  readonly stringValue: string;
  readonly boolValue: boolean;
  readonly intValue: PbLong | number;
  readonly doubleValue: number;
  readonly arrayValue: PbArrayValue | null;
  readonly kvlistValue: PbKeyValueList | null;
  readonly bytesValue: Uint8Array;
}

export interface PbArrayValue {
  readonly values: readonly PbAnyValue[];
}

export interface PbKeyValueList {
  readonly values: readonly PbKeyValue[];
}

export interface PbKeyValue {
  readonly key: string;
  readonly value: PbAnyValue | null;
}

export interface PbSpan {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly parentSpanId: Uint8Array;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: PbLong | number;
  readonly endTimeUnixNano: PbLong | number;
  readonly attributes: readonly PbKeyValue[];
  readonly status: { readonly message: string; readonly code: number } | null;
}

export interface PbScopeSpans {
  readonly scope: { readonly name: string } | null;
  readonly spans: readonly PbSpan[];
}

export interface PbResourceSpans {
  readonly resource: { readonly attributes: readonly PbKeyValue[] } | null;
  readonly scopeSpans: readonly PbScopeSpans[];
}

export interface PbExportTraceServiceRequest {
  readonly resourceSpans: readonly PbResourceSpans[];
}
