/**
 * Longest texts kept from span attributes, by use. Identifiers, tool names and prompts become keys of
 * bounded maps and caches, which bound entries, not bytes: a megabyte-long name must not become a
 * megabyte-long key.
 */
export const TEXT_LIMITS = {
  /** Session, user and service ids. */
  identifier: 512,
  /** Tool and MCP server names (the MCP spec asks for at most 128). */
  toolName: 256,
  /** Tool descriptions: inference reads their first words. */
  description: 1_000,
  /** The prompt a session is judged by: its intent is in its first pages. */
  prompt: 16_384,
  /** Compact JWS attestations; a longer one is cut and fails verification. */
  attestation: 8_192,
} as const;

/**
 * `text` cut to `maxLength`, as a string of its own: a slice of a long string keeps the whole of it
 * alive in V8, which would defeat the bound.
 */
export function boundedText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  return Buffer.from(text.slice(0, maxLength), 'utf8').toString('utf8');
}
