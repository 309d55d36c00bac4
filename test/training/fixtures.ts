import type { ToolCallEvent, ToolCategory, ToolEffect } from '../../src/normalize/events.js';
import type { CallRecord, SessionView } from '../../src/session/session-view.js';
import type { Detector, Finding } from '../../src/detectors/index.js';

export interface CallSpec {
  readonly tool: string;
  readonly category?: ToolCategory;
  readonly effect?: ToolEffect;
  readonly sensitive?: boolean;
  readonly args?: unknown;
  readonly result?: string;
}

let spanCounter = 0;

export function toolCall(sessionId: string, spec: CallSpec, index = 0, service = 'test-agent'): ToolCallEvent {
  spanCounter++;
  return {
    type: 'tool_call',
    sessionId,
    sessionKey: 'conversation',
    traceId: `trace-${sessionId}`,
    spanId: `span-${spanCounter}`,
    parentSpanId: 'root',
    service,
    startTimeMs: 1_000 + index,
    convention: 'semconv',
    spanKind: 3,
    tool: spec.tool,
    server: 'test-mcp',
    toolClass: { category: spec.category ?? 'data_access', effect: spec.effect ?? 'read', sensitive: spec.sensitive ?? false, cost: 0, inferred: false },
    arguments: spec.args ?? {},
    result: spec.result ?? '',
    status: 'ok',
    errorType: '',
    durationMs: 10,
    requestId: String(index),
    userId: 'user-1',
    attestation: '',
  };
}

/** A normalized training/test session. */
export interface SessionFixture {
  readonly id: string;
  readonly prompt: string;
  readonly calls: ToolCallEvent[];
}

/** A session of `test-agent`, or of the agent named (the `service.name` of its spans). */
export function session(id: string, prompt: string, calls: readonly CallSpec[], agent = 'test-agent'): SessionFixture {
  return { id, prompt, calls: calls.map((c, i) => toolCall(id, c, i, agent)) };
}

export function viewOf(fixture: SessionFixture, upTo = fixture.calls.length, ended = true): SessionView {
  const calls: CallRecord[] = fixture.calls.slice(0, upTo).map((event, index) => ({ index, event, origin: 'user' }));
  return {
    id: fixture.id,
    service: fixture.calls[0]?.service ?? 'test-agent',
    traceIds: [`trace-${fixture.id}`],
    prompt: fixture.prompt,
    userId: 'user-1',
    trust: 'unverified',
    revision: 0,
    calls,
    firstSeenMs: 1_000,
    lastSeenMs: 1_000 + calls.length,
    ended,
  };
}

/** Replays a session through a detector as the pipeline would with the prompt known: every call, then the end. */
export function replay<S>(detector: Detector<S>, fixture: SessionFixture): Finding[] {
  const full = viewOf(fixture);
  const state = detector.createState(viewOf(fixture, 0, false));
  const findings: Finding[] = [];
  for (let i = 0; i < fixture.calls.length; i++) {
    const view = viewOf(fixture, i + 1, false);
    findings.push(...detector.observe({ session: view, state, call: view.calls[i] as CallRecord }));
  }
  findings.push(...(detector.observeEnd?.(full, state) ?? []));
  return findings;
}
