import type { ToolClass } from './events.js';

/**
 * A call that reaches outside the organisation: it sends, or it fetches from an address the agent
 * chose. Even a fetch tells the host what was asked for, and its URL can carry data out.
 */
export function reachesOutside(toolClass: ToolClass): boolean {
  return toolClass.category === 'external_communication';
}

/** A call that changes or sends something, reaches outside, or that the catalog marks sensitive. */
export function isConsequential(toolClass: ToolClass): boolean {
  return toolClass.effect !== 'read' || toolClass.sensitive || reachesOutside(toolClass);
}
