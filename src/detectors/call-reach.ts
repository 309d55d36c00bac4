import type { ToolCallEvent } from '../normalize/events.js';
import { argumentValues } from './argument-values.js';

/**
 * A call that reaches outside the organisation: its class is outbound (it sends, or fetches), or it is a
 * read addressed by a URL, a fetch whatever the catalog calls it. Even a fetch tells the host what was
 * asked for, and its URL can carry data out.
 */
export function reachesOutside(event: ToolCallEvent): boolean {
  if (event.toolClass.category === 'external_communication') return true;
  // A whole argument that is a URL says where the call goes; a URL inside free text (`body#url`) does not.
  return argumentValues(event.arguments).some((value) => value.kind === 'url' && !value.path.includes('#'));
}

/** A call that changes or sends something, reaches outside, or that the catalog marks sensitive. */
export function isConsequential(event: ToolCallEvent): boolean {
  return event.toolClass.effect !== 'read' || event.toolClass.sensitive || reachesOutside(event);
}
