/** Trace and span ids: bytes (protobuf) or text (OTLP/JSON) in, lower-case hex out. */

export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;

const HEX_OF_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) =>
  byte.toString(16).padStart(2, '0'),
);

const ZERO_HEX_TRACE_ID = '0'.repeat(TRACE_ID_BYTES * 2);
const ZERO_HEX_SPAN_ID = '0'.repeat(SPAN_ID_BYTES * 2);

export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += HEX_OF_BYTE[bytes[i]!]!;
  return hex;
}

/** OTLP calls an id of the wrong length or of all zeros invalid. */
export function isZeroHexId(hex: string): boolean {
  return hex === ZERO_HEX_TRACE_ID || hex === ZERO_HEX_SPAN_ID;
}

/** Why id bytes cannot be used, or '' when they can. */
export function idBytesProblem(bytes: Uint8Array, byteLength: number): string {
  if (bytes.length === 0) return 'missing';
  if (bytes.length !== byteLength) return `${bytes.length} bytes, expected ${byteLength}`;
  return '';
}

// Standard and URL-safe alphabets; Buffer decodes both.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * An id as OTLP/JSON carries it: hex, per the spec (either case). Base64 (the plain protobuf JSON
 * mapping, which some encoders emit) is accepted too: for 16- and 8-byte ids its lengths (24/22 and
 * 12/11 characters) never equal the hex lengths (32 and 16), so the reading is unambiguous.
 * Returns lower-case hex, or undefined when the text is neither.
 */
export function idTextToHex(text: string, byteLength: number): string | undefined {
  if (text.length === byteLength * 2) return hexIdText(text);
  const paddedLength = Math.ceil(byteLength / 3) * 4;
  const unpaddedLength = Math.ceil((byteLength * 4) / 3);
  if ((text.length !== paddedLength && text.length !== unpaddedLength) || !BASE64.test(text)) {
    return undefined;
  }
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === byteLength ? bytesToHex(bytes) : undefined;
}

function hexIdText(text: string): string | undefined {
  let upperCase = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code >= 48 && code <= 57) || (code >= 97 && code <= 102)) continue;
    if (code >= 65 && code <= 70) upperCase = true;
    else return undefined;
  }
  return upperCase ? text.toLowerCase() : text;
}
