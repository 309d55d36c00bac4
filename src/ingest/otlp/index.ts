export { decodeOtlpJson, decodeOtlpProtobuf } from './decode.js';
export { OtlpDecodeError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';
export { readOtlpJsonLines } from './json-lines.js';
export type { OtlpJsonLine } from './json-lines.js';
export {
  decodeEncodedBatch,
  encodeExportResponse,
  encodeRpcStatus,
  otlpFormatOf,
} from './request.js';
export type { DecodeBatchOptions, OtlpFormat } from './request.js';
export { SpanKind, StatusCode } from './types.js';
export type {
  AttributeValue,
  Attributes,
  DecodedBatch,
  DecodedResource,
  DecodedSpan,
  RejectedSpan,
} from './types.js';
