import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DecodedSpan } from '../../src/ingest/otlp/types.js';
import { SpanKind } from '../../src/ingest/otlp/types.js';
import type {
  Convention,
  NormalizedEvent,
  SessionPromptEvent,
  SessionRootEvent,
  ToolCallEvent,
  ToolClass,
  ToolListEvent,
} from '../../src/normalize/index.js';
import { SpanNormalizer, loadToolCatalog, parseToolCatalog } from '../../src/normalize/index.js';
import {
  SCENARIO,
  TRACELOOP_MCP_SESSION_SPAN_ID,
  mcpDraftSpans,
  openInferenceSpans,
  semconvSpans,
  traceloopSpans,
} from '../helpers/convention-sessions.js';

const CATALOG_PATH = fileURLToPath(new URL('../../../shared/datasets/agentdojo-dev/tool-catalog.yaml', import.meta.url));

type Comparable<E> = E extends NormalizedEvent ? Omit<E, 'convention'> : never;
type ComparableEvent = Comparable<NormalizedEvent>;

/** The AgentDojo catalog's classes; `lookup_loyalty_account` is not in it. */
const CLASSES: Readonly<Record<string, ToolClass>> = {
  get_all_hotels_in_city: { category: 'data_access', effect: 'read', sensitive: false, cost: 0, inferred: false },
  reserve_hotel: { category: 'financial', effect: 'write', sensitive: true, cost: 0, inferred: false },
  // Inferred: "lookup" reads, and the learned description ("the customer's ...") names personal data.
  lookup_loyalty_account: { category: 'pii_access', effect: 'read', sensitive: true, cost: 0, inferred: true },
};
/** The same tool classified from its name alone, when no description reached the normalizer. */
const LOYALTY_FROM_NAME_ONLY: ToolClass = {
  category: 'data_access',
  effect: 'read',
  sensitive: false,
  cost: 0,
  inferred: true,
};

/** The session as a convention that can carry every field normalizes it. */
function fullEvents(): ComparableEvent[] {
  const s = SCENARIO;
  // The agent span names the conversation; MCP spans name their transport session (the same id here).
  const common = { sessionId: s.sessionId, sessionKey: 'transport' as const, traceId: s.traceId, service: s.service };
  const root: Comparable<SessionRootEvent> = {
    type: 'session_root',
    ...common,
    sessionKey: 'conversation',
    spanId: s.root.spanId,
    parentSpanId: '',
    startTimeMs: s.root.startMs,
    prompt: s.prompt,
    userId: s.userId,
    agentName: s.agentName,
    model: s.model,
    attestation: s.attestation,
    status: 'ok',
    durationMs: s.root.endMs - s.root.startMs,
  };
  const list: Comparable<ToolListEvent> = {
    type: 'tool_list',
    ...common,
    spanId: s.toolList.spanId,
    parentSpanId: s.root.spanId,
    startTimeMs: s.toolList.startMs,
    server: s.server,
    tools: s.tools,
  };
  const calls = s.calls.map(
    (call): Comparable<ToolCallEvent> => ({
      type: 'tool_call',
      ...common,
      spanId: call.spanId,
      parentSpanId: call.parentSpanId,
      startTimeMs: call.startMs,
      spanKind: SpanKind.CLIENT,
      tool: call.tool,
      server: s.server,
      toolClass: CLASSES[call.tool]!,
      arguments: call.arguments,
      result: call.result,
      status: call.failed ? 'error' : 'ok',
      errorType: call.failed ? 'tool_error' : '',
      durationMs: call.endMs - call.startMs,
      requestId: call.requestId,
      userId: s.userId,
      attestation: '',
    }),
  );
  // The model call that asked for the first tool, ended long before the root: the prompt, early.
  const prompt: Comparable<SessionPromptEvent> = {
    type: 'session_prompt',
    ...common,
    sessionKey: 'conversation',
    spanId: s.modelCall.spanId,
    parentSpanId: s.root.spanId,
    startTimeMs: s.modelCall.startMs,
    prompt: s.prompt,
  };
  return [root, list, ...calls, prompt];
}

/** What each convention cannot carry, and what the normalizer gives instead. */
const CANNOT_CARRY: Readonly<Record<Convention, (event: ComparableEvent) => ComparableEvent>> = {
  semconv: (event) => event,
  // Sentry instruments MCP servers: SERVER spans, no user on them, no definitions in `tools/list` (so the
  // uncatalogued tool is inferred from its name alone). It has no agent span: the root is semconv's.
  'mcp-draft': (event) => {
    if (event.type === 'tool_list') return { ...event, tools: [] };
    if (event.type !== 'tool_call') return event;
    return {
      ...event,
      spanKind: SpanKind.SERVER,
      userId: '',
      toolClass: event.tool === 'lookup_loyalty_account' ? LOYALTY_FROM_NAME_ONLY : event.toolClass,
    };
  },
  // No server attribute; no model on agent spans; no error class; `tool.id` is the model's tool-call id;
  // the LLM span's advertised tools stand in for `tools/list`; spans are INTERNAL.
  openinference: (event) => {
    if (event.type === 'session_root') return { ...event, model: '' };
    if (event.type === 'session_prompt') return event;
    if (event.type === 'tool_list') return { ...event, sessionKey: 'conversation', server: '' };
    return {
      ...event,
      sessionKey: 'conversation',
      spanKind: SpanKind.INTERNAL,
      server: '',
      requestId: `call_${event.requestId}`,
      errorType: event.status === 'error' ? '_OTHER' : '',
    };
  },
  // No session attribute (the trace id is the key), no server, request id or model; the MCP
  // instrumentation hangs its requests under its `mcp.client.session` span; the nested call is a
  // decorated function (INTERNAL).
  traceloop: (event) => {
    const keyed = { ...event, sessionId: SCENARIO.traceId, sessionKey: 'trace' as const };
    if (keyed.type === 'session_root') return { ...keyed, model: '' };
    if (keyed.type === 'session_prompt') return keyed;
    const underMcpSession = keyed.parentSpanId === SCENARIO.root.spanId;
    const parentSpanId = underMcpSession ? TRACELOOP_MCP_SESSION_SPAN_ID : keyed.parentSpanId;
    if (keyed.type === 'tool_list') return { ...keyed, server: '', parentSpanId };
    return {
      ...keyed,
      parentSpanId,
      spanKind: underMcpSession ? SpanKind.CLIENT : SpanKind.INTERNAL,
      server: '',
      requestId: '',
    };
  },
};

const WRITERS: Readonly<Record<Convention, () => DecodedSpan[]>> = {
  semconv: semconvSpans,
  'mcp-draft': mcpDraftSpans,
  openinference: openInferenceSpans,
  traceloop: traceloopSpans,
};

/** Spans no event comes from: HTTP calls, and Traceloop's MCP connection span under the workflow. */
const IGNORED: Readonly<Record<Convention, number>> = { semconv: 1, 'mcp-draft': 1, openinference: 1, traceloop: 2 };

async function normalizeWith(convention: Convention) {
  const normalizer = new SpanNormalizer(await loadToolCatalog(CATALOG_PATH));
  return normalizer.normalize(WRITERS[convention]());
}

function comparable(event: NormalizedEvent): ComparableEvent {
  const { convention: _convention, ...rest } = event;
  return rest;
}

describe('one session written in each convention', () => {
  it('semconv carries every field', async () => {
    const { events, rejected, ignored } = await normalizeWith('semconv');
    expect(rejected).toEqual([]);
    expect(ignored).toBe(IGNORED.semconv);
    expect(events.map(comparable)).toEqual(fullEvents());
  });

  for (const convention of ['mcp-draft', 'openinference', 'traceloop'] as const) {
    it(`${convention} normalizes to the same events, but for the fields it cannot carry`, async () => {
      const { events, rejected, ignored } = await normalizeWith(convention);
      expect(rejected).toEqual([]);
      expect(ignored).toBe(IGNORED[convention]);
      expect(events.map(comparable)).toEqual(fullEvents().map(CANNOT_CARRY[convention]));
    });
  }

  it('says which convention each event was read with', async () => {
    for (const convention of Object.keys(WRITERS) as Convention[]) {
      const { events } = await normalizeWith(convention);
      const expected = events.map((event) =>
        convention === 'mcp-draft' && (event.type === 'session_root' || event.type === 'session_prompt') ? 'semconv' : convention,
      );
      expect(events.map((event) => event.convention)).toEqual(expected);
    }
  });

  it("takes a call's server from the catalog when its span names none, never over the span's own", () => {
    const catalog = parseToolCatalog(
      [
        'tools:',
        `  get_all_hotels_in_city: {category: data_access, effect: read, server: ${SCENARIO.server}}`,
        `  reserve_hotel: {category: financial, effect: write, server: ${SCENARIO.server}}`,
        '  lookup_loyalty_account: {category: pii_access, effect: read, server: loyalty-mcp.internal}',
      ].join('\n'),
      'servers.yaml',
    );
    const serversWith = (convention: Convention) =>
      new SpanNormalizer(catalog)
        .normalize(WRITERS[convention]())
        .events.filter((event): event is ToolCallEvent => event.type === 'tool_call')
        .map((call) => call.server);
    expect(serversWith('semconv')).toEqual([SCENARIO.server, SCENARIO.server, SCENARIO.server]);
    for (const convention of ['openinference', 'traceloop'] as const) {
      expect(serversWith(convention), convention).toEqual([SCENARIO.server, SCENARIO.server, 'loyalty-mcp.internal']);
    }
  });

  it('keeps the nested call under the tool span that made it', async () => {
    for (const convention of Object.keys(WRITERS) as Convention[]) {
      const { events } = await normalizeWith(convention);
      const calls = events.filter((event): event is ToolCallEvent => event.type === 'tool_call');
      const reserve = calls.find((call) => call.tool === 'reserve_hotel');
      const lookup = calls.find((call) => call.tool === 'lookup_loyalty_account');
      expect(lookup?.parentSpanId, convention).toBe(reserve?.spanId);
      expect(reserve?.status, convention).toBe('error');
    }
  });
});
