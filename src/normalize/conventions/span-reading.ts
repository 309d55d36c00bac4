import type { DecodedSpan } from '../../ingest/otlp/types.js';
import type { Convention, ToolDefinition } from '../events.js';

/** What a convention found in a tool-call span; the normalizer adds what all conventions share. */
export interface ToolCallReading {
  readonly role: 'tool_call';
  readonly tool: string;
  readonly server: string;
  /** Parsed arguments; null when the span does not record them. */
  readonly arguments: unknown;
  readonly result: string;
  readonly requestId: string;
  /** The tool's own answer said it failed (MCP `isError`), whatever the span status. */
  readonly toolError: boolean;
  /** The tool's description when the span carries it, else ''. */
  readonly description: string;
}

/** An agent, chain or workflow span that may root a session (the normalizer decides whether it does). */
export interface RootReading {
  readonly role: 'root';
  /**
   * Roots a session only when it has no parent at all: a span that merely opens a connection
   * (Traceloop's `mcp.client.session`) is enclosed by the agent's span when there is one.
   */
  readonly onlyWithoutParent: boolean;
  readonly prompt: string;
  readonly agentName: string;
  readonly model: string;
}

/**
 * A model call (an LLM or chat span). It ends before the tool calls it asks for run, so its input
 * carries the user's prompt long before the agent's root span, which ends last; it may also list the
 * tools offered to the model.
 */
export interface InferenceReading {
  readonly role: 'inference';
  /** The first user message of its input, '' when not recorded. */
  readonly prompt: string;
  readonly tools: readonly ToolDefinition[];
}

export interface ToolListReading {
  readonly role: 'tool_list';
  readonly server: string;
  readonly tools: readonly ToolDefinition[];
}

/** A span of the convention that cannot be used, and why. */
export interface UnusableReading {
  readonly role: 'unusable';
  readonly reason: string;
}

export type SpanReading = ToolCallReading | RootReading | InferenceReading | ToolListReading | UnusableReading;

/**
 * Reads one convention. Returns null when the span does not carry the convention's markers (the next
 * convention is tried), or when it does but is of a kind chainwatch ignores (retrievers, embeddings).
 * Must not throw.
 */
export interface ConventionReader {
  readonly convention: Convention;
  read(span: DecodedSpan): SpanReading | null;
}
