import { LRUCache } from 'lru-cache';
import type { ToolDefinition } from './events.js';
import { boundedText, TEXT_LIMITS } from './bounded-text.js';

export interface LearnedDefinitionLimits {
  /** Services whose tool lists are kept; the least recently used is forgotten beyond this. */
  readonly maxServices: number;
  /** Tools kept per service; further tools are not learned. */
  readonly maxToolsPerService: number;
  /** Longer descriptions are cut: inference only needs their first words. */
  readonly maxDescriptionLength: number;
}

export const DEFAULT_LEARNED_DEFINITION_LIMITS: LearnedDefinitionLimits = {
  maxServices: 1_000,
  maxToolsPerService: 500,
  maxDescriptionLength: TEXT_LIMITS.description,
};

export interface LearnedDefinitionStats {
  readonly services: number;
  readonly tools: number;
  /** Services forgotten to stay within `maxServices`. */
  readonly evictedServices: number;
  /** Tool definitions not learned because their service was full. */
  readonly droppedTools: number;
}

/**
 * Tool descriptions per service, as `tools/list` answers report them, so that inference can read what a
 * tool says it does. Bounded in services and tools; what does not fit is counted.
 */
export class LearnedDefinitions {
  private readonly limits: LearnedDefinitionLimits;
  private readonly byService: LRUCache<string, Map<string, string>>;
  private evictedServices = 0;
  private droppedTools = 0;

  constructor(limits: Partial<LearnedDefinitionLimits> = {}) {
    this.limits = { ...DEFAULT_LEARNED_DEFINITION_LIMITS, ...limits };
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
    this.byService = new LRUCache<string, Map<string, string>>({
      max: this.limits.maxServices,
      dispose: (_tools, _service, reason) => {
        if (reason === 'evict') this.evictedServices++;
      },
    });
  }

  /** Merges a service's definitions: one service may list the tools of several MCP servers. */
  learn(service: string, tools: readonly ToolDefinition[]): void {
    if (tools.length === 0) return;
    let known = this.byService.get(service);
    if (known === undefined) {
      known = new Map();
      this.byService.set(service, known);
    }
    for (const tool of tools) {
      if (tool.name === '') continue;
      const name = boundedText(tool.name, TEXT_LIMITS.toolName);
      if (!known.has(name) && known.size >= this.limits.maxToolsPerService) {
        this.droppedTools++;
        continue;
      }
      known.set(name, boundedText(tool.description, this.limits.maxDescriptionLength));
    }
  }

  /** The description a service's `tools/list` gave for a tool, '' when none was learned. */
  description(service: string, tool: string): string {
    return this.byService.get(service)?.get(tool) ?? '';
  }

  stats(): LearnedDefinitionStats {
    let tools = 0;
    for (const known of this.byService.values()) tools += known.size;
    return {
      services: this.byService.size,
      tools,
      evictedServices: this.evictedServices,
      droppedTools: this.droppedTools,
    };
  }
}
