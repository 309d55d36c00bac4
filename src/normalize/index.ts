export type { CatalogProblem } from './catalog-error.js';
export { CatalogError } from './catalog-error.js';
export type { EventConsumer } from './event-consumer.js';
export type {
  Convention,
  NormalizedEvent,
  ResourceAttributes,
  SessionKeyKind,
  SessionPromptEvent,
  SessionRootEvent,
  ToolCallEvent,
  ToolCategory,
  ToolClass,
  ToolDefinition,
  ToolEffect,
  ToolListEvent,
} from './events.js';
export { SESSION_KEY_RANK, TOOL_CATEGORIES, TOOL_EFFECTS } from './events.js';
export type { LearnedDefinitionLimits } from './learned-definitions.js';
export type { NormalizeResult } from './span-normalizer.js';
export { SpanNormalizer } from './span-normalizer.js';
export type { CatalogEntry, ToolCatalogOptions, ToolCatalogStats } from './tool-catalog.js';
export { ToolCatalog, loadToolCatalog, parseToolCatalog } from './tool-catalog.js';
export { inferToolClass, splitWords } from './tool-inference.js';
