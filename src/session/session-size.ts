import type { ToolCallEvent } from '../normalize/events.js';

/** A session's fixed part: ids, bounded findings and escalation state (`npm run bench` measures about 550 B). */
export const SESSION_BASE_BYTES = 560;
/** A call record and its event's fixed fields (the bench measures about 650 B for a small call). */
const CALL_BASE_BYTES = 640;
/** A value in the arguments beyond its characters. */
const VALUE_BYTES = 16;

/**
 * Heap bytes one call holds, approximately: its fixed part, its texts (a byte a character, as V8 stores
 * Latin-1 text; other text takes two) and every value in its arguments. What the memory budget of the
 * session store counts; the arguments are walked once, when the call is recorded.
 */
export function approximateCallBytes(event: ToolCallEvent): number {
  let characters =
    event.tool.length +
    event.server.length +
    event.result.length +
    event.userId.length +
    event.attestation.length +
    event.errorType.length +
    event.requestId.length;
  let values = 0;
  const pending: unknown[] = [event.arguments];
  while (pending.length > 0) {
    const value = pending.pop();
    values++;
    if (typeof value === 'string') characters += value.length;
    else if (Array.isArray(value)) for (const item of value) pending.push(item);
    else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        characters += key.length;
        pending.push(item);
      }
    }
  }
  return CALL_BASE_BYTES + characters + VALUE_BYTES * values;
}
