import type { EventBase, SessionPromptEvent, SessionRootEvent, ToolCallEvent } from '../../src/normalize/events.js';

let counter = 0;

/** A hex span id unique within the test run. */
export function nextSpanId(): string {
  counter++;
  return counter.toString(16).padStart(16, '0');
}

/** What every event of the default session shares; a fresh span id each time. */
function eventBase(): Omit<EventBase, 'startTimeMs' | 'convention'> {
  return {
    sessionId: 'session-1',
    sessionKey: 'conversation',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: nextSpanId(),
    parentSpanId: '',
    service: 'support-agent',
  };
}

export function toolCallEvent(overrides: Partial<ToolCallEvent> = {}): ToolCallEvent {
  return {
    type: 'tool_call',
    ...eventBase(),
    startTimeMs: 1_700_000_000_000,
    convention: 'semconv',
    spanKind: 3,
    tool: 'search_docs',
    server: 'docs-mcp',
    toolClass: { category: 'data_access', effect: 'read', sensitive: false, cost: 0, inferred: false },
    arguments: {},
    result: '',
    status: 'ok',
    errorType: '',
    durationMs: 20,
    requestId: '',
    userId: 'alice',
    attestation: '',
    ...overrides,
  };
}

export function sessionRootEvent(overrides: Partial<SessionRootEvent> = {}): SessionRootEvent {
  return {
    type: 'session_root',
    ...eventBase(),
    startTimeMs: 1_700_000_000_000 - 5,
    convention: 'semconv',
    prompt: 'summarize the open tickets',
    userId: 'alice',
    agentName: 'support-assistant',
    model: 'test-model',
    attestation: '',
    status: 'ok',
    durationMs: 5_000,
    ...overrides,
  };
}

/** A model call's prompt, as it arrives before the root span. */
export function sessionPromptEvent(overrides: Partial<SessionPromptEvent> = {}): SessionPromptEvent {
  return {
    type: 'session_prompt',
    ...eventBase(),
    startTimeMs: 1_700_000_000_000 - 2,
    convention: 'semconv',
    prompt: 'summarize the open tickets',
    ...overrides,
  };
}
