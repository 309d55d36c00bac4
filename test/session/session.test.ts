import { describe, expect, it } from 'vitest';
import { SpanKind } from '../../src/ingest/otlp/types.js';
import { Session } from '../../src/session/session.js';
import { toolCallEvent } from '../helpers/normalized-events.js';

const limits = { maxCalls: 8, maxTraceIds: 4, maxFindings: 8 };

describe('Session', () => {
  it("folds a server's view of a call into the client's, whichever comes first", () => {
    const session = new Session('s', limits);
    const client = toolCallEvent({ spanId: 'c'.repeat(16), spanKind: SpanKind.CLIENT, startTimeMs: 1_000 });
    const server = toolCallEvent({ spanId: 'd'.repeat(16), parentSpanId: 'c'.repeat(16), spanKind: SpanKind.SERVER, startTimeMs: 1_001 });
    expect(session.addCall(server)).toBe('appended');
    expect(session.addCall(client)).toBe('inserted');
    expect(session.calls.map((call) => call.event.spanId)).toEqual(['c'.repeat(16)]);
    // The server's span delivered again is still a duplicate.
    expect(session.addCall(server)).toBe('duplicate');
  });

  it('keeps the spans it folded bounded when spans are crafted as an endless chain of views of one call', () => {
    const session = new Session('s', limits);
    const id = (i: number) => i.toString(16).padStart(16, '0');
    // Span i is the child of span i+1 and of the other kind: each new one is the client view of the one before.
    for (let i = 0; i < 2_000; i++) {
      session.addCall(toolCallEvent({ spanId: id(i), parentSpanId: id(i + 1), spanKind: i % 2 === 0 ? SpanKind.SERVER : SpanKind.CLIENT }));
    }
    expect(session.calls).toHaveLength(1);
    expect(session.aliasSpanIds.length).toBeLessThanOrEqual(limits.maxCalls);
  });
});
