import { Match, type MsgHdrs } from '@nats-io/transport-node';
import type { EncodedBatch } from './span-source.js';

export const DEFAULT_CONTENT_TYPE = 'application/x-protobuf';

/** A NATS message read as an encoded batch, or why its headers make it unusable. */
export type NatsBatchReading =
  | { readonly ok: true; readonly batch: EncodedBatch }
  | { readonly ok: false; readonly reason: string };

/** What a message offers; the client parses `headers` when first read, and throws on a malformed block. */
export interface NatsMessage {
  readonly data: Uint8Array;
  readonly headers?: MsgHdrs | undefined;
}

/**
 * Reads `Content-Type` (default protobuf) and `Content-Encoding` (gzip or none) the way OTLP/HTTP
 * does, so both transports hand the decoder the same shape.
 */
export function readNatsBatch(message: NatsMessage, origin: string): NatsBatchReading {
  let headers: MsgHdrs | undefined;
  try {
    headers = message.headers;
  } catch (error) {
    // A header name with a space or a non-ASCII byte: relayed by the server, refused by the client's parser.
    return { ok: false, reason: `unreadable NATS headers: ${(error as Error).message}` };
  }
  const contentType = headers?.get('Content-Type', Match.IgnoreCase).trim() ?? '';
  const encoding = (headers?.get('Content-Encoding', Match.IgnoreCase) ?? '').trim().toLowerCase();
  let contentEncoding: string;
  if (encoding === '' || encoding === 'identity') contentEncoding = '';
  else if (encoding === 'gzip' || encoding === 'x-gzip') contentEncoding = 'gzip';
  else {
    return { ok: false, reason: `unsupported Content-Encoding ${JSON.stringify(encoding)} (expected gzip or none)` };
  }
  return {
    ok: true,
    batch: { body: message.data, contentType: contentType === '' ? DEFAULT_CONTENT_TYPE : contentType, contentEncoding, origin },
  };
}
