import type { ToolCallEvent, ToolClass } from '../../src/normalize/events.js';
import type { CallOrigin, CallRecord, SessionView, TrustLevel } from '../../src/session/session-view.js';

/** Start of fixture time: 2023-11-14T22:13:20Z. */
export const FIXTURE_EPOCH_MS = 1_700_000_000_000;

export interface ToolCallOverrides extends Partial<Omit<ToolCallEvent, 'toolClass' | 'type'>> {
  /** Merged into the default tool class. */
  readonly toolClass?: Partial<ToolClass>;
  /** Shorthands for `toolClass` fields. */
  readonly category?: ToolClass['category'];
  readonly effect?: ToolClass['effect'];
  readonly sensitive?: boolean;
  readonly cost?: number;
  /** Seconds after FIXTURE_EPOCH_MS; without it (or startTimeMs) `sessionOf` spaces calls 1 s apart. */
  readonly at?: number;
}

const timed = new WeakSet<ToolCallEvent>();
let spans = 0;

/** A tool-call event with readable defaults; any field can be overridden. */
export function toolCall(overrides: ToolCallOverrides = {}): ToolCallEvent {
  const { toolClass, category, effect, sensitive, cost, at, ...fields } = overrides;
  spans++;
  const event: ToolCallEvent = {
    type: 'tool_call',
    sessionId: 'session-1',
    sessionKey: 'conversation',
    traceId: 'trace-1',
    spanId: `span-${spans.toString(16).padStart(12, '0')}`,
    parentSpanId: '',
    service: 'test-agent',
    startTimeMs: at === undefined ? FIXTURE_EPOCH_MS : FIXTURE_EPOCH_MS + at * 1000,
    convention: 'semconv',
    spanKind: 3,
    tool: 'search_docs',
    server: 'docs-mcp',
    toolClass: {
      category: category ?? 'data_access',
      effect: effect ?? 'read',
      sensitive: sensitive ?? false,
      cost: cost ?? 0,
      inferred: false,
      ...toolClass,
    },
    arguments: {},
    result: '',
    status: 'ok',
    errorType: '',
    durationMs: 100,
    requestId: '',
    userId: 'alice',
    attestation: '',
    ...fields,
  };
  if (at !== undefined || fields.startTimeMs !== undefined) timed.add(event);
  return event;
}

/** Marks a call as made by a tool while serving another call (CallRecord.origin = nested). */
export function nested(event: ToolCallEvent): { readonly event: ToolCallEvent; readonly origin: CallOrigin } {
  return { event, origin: 'nested' };
}

export interface SessionOptions {
  /** Defaults to the first call's session id; every call is moved into this session. */
  readonly id?: string;
  readonly prompt?: string;
  readonly userId?: string;
  readonly trust?: TrustLevel;
  readonly service?: string;
  readonly ended?: boolean;
  /** Spacing of calls given no time (default 1000 ms). */
  readonly spacingMs?: number;
}

type CallInput = ToolCallEvent | { readonly event: ToolCallEvent; readonly origin: CallOrigin };

/** A session view over the calls, in the order given (indices 0..n-1). */
export function sessionOf(calls: readonly CallInput[], options: SessionOptions = {}): SessionView {
  const first = calls[0];
  const firstEvent = first === undefined ? undefined : 'event' in first ? first.event : first;
  const id = options.id ?? firstEvent?.sessionId ?? 'session-1';
  const spacing = options.spacingMs ?? 1000;
  const records: CallRecord[] = calls.map((input, index) => {
    const original = 'event' in input ? input.event : input;
    const origin: CallOrigin = 'event' in input ? input.origin : 'user';
    const startTimeMs = timed.has(original) ? original.startTimeMs : FIXTURE_EPOCH_MS + index * spacing;
    const event: ToolCallEvent = { ...original, sessionId: id, startTimeMs };
    return { index, event, origin };
  });
  const traceIds = [...new Set(records.map((r) => r.event.traceId))];
  const times = records.map((r) => r.event.startTimeMs);
  return {
    id,
    service: options.service ?? firstEvent?.service ?? 'test-agent',
    traceIds,
    prompt: options.prompt ?? '',
    userId: options.userId ?? firstEvent?.userId ?? '',
    trust: options.trust ?? 'unverified',
    revision: 0,
    calls: records,
    firstSeenMs: times.length > 0 ? Math.min(...times) : FIXTURE_EPOCH_MS,
    lastSeenMs: times.length > 0 ? Math.max(...times) : FIXTURE_EPOCH_MS,
    ended: options.ended ?? false,
  };
}
