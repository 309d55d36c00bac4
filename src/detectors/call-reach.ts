import type { ToolCallEvent } from '../normalize/events.js';
import { argumentStrings } from './argument-values.js';

/** A whole string that is an address on the network: a scheme the web uses, or a `www.` host. */
const WHOLE_URL = /^(?:(?:https?|ftp|wss?):\/\/|www\.)\S+$/i;
/** Argument strings searched, as many as argument values are taken. */
const MAX_STRINGS = 64;

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
  return argumentStrings(args, MAX_STRINGS).some((text) => WHOLE_URL.test(text.trim()));
}
