import type { ToolCallEvent } from '../normalize/events.js';

/** A whole string that is an address on the network: a scheme the web uses, or a `www.` host. */
const WHOLE_URL = /^(?:(?:https?|ftp|wss?):\/\/|www\.)\S+$/i;
/** Bounds on the arguments searched, as for argument values. */
const MAX_STRINGS = 64;
const MAX_DEPTH = 6;

/**
 * A call that reaches outside the organisation: its class is outbound (it sends, or fetches), or it is a
 * read addressed by a URL, a fetch whatever the catalog calls it. Even a fetch tells the host what was
 * asked for, and its URL can carry data out.
 */
export function reachesOutside(event: ToolCallEvent): boolean {
  return event.toolClass.category === 'external_communication' || addressedByUrl(event.arguments);
}

/** A call that changes or sends something, reaches outside, or that the catalog marks sensitive. */
export function isConsequential(event: ToolCallEvent): boolean {
  return event.toolClass.effect !== 'read' || event.toolClass.sensitive || reachesOutside(event);
}

/**
 * Whether an argument, whole, is a URL: that is where the call goes. A URL inside free text (a query, a
 * message body) is what the call handles, not its destination. Long URLs count: data rides in them.
 */
function addressedByUrl(args: unknown): boolean {
  let budget = MAX_STRINGS;
  const visit = (value: unknown, depth: number): boolean => {
    if (budget <= 0 || depth > MAX_DEPTH) return false;
    if (typeof value === 'string') {
      budget--;
      return WHOLE_URL.test(value.trim());
    }
    if (value === null || typeof value !== 'object') return false;
    const items = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
    return items.some((item) => visit(item, depth + 1));
  };
  return visit(args, 0);
}
