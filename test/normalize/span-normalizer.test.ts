import { describe, expect, it } from 'vitest';
import type { Attributes, DecodedSpan } from '../../src/ingest/otlp/types.js';
import { SpanKind, StatusCode } from '../../src/ingest/otlp/types.js';
import type { NormalizedEvent, SessionRootEvent, ToolCallEvent } from '../../src/normalize/index.js';
import { SpanNormalizer, ToolCatalog, parseToolCatalog } from '../../src/normalize/index.js';
import { TEXT_LIMITS } from '../../src/normalize/bounded-text.js';
import { TEST_TRACE_ID, decodedResource, decodedSpan, testSpanId } from '../helpers/decoded-span.js';

function normalize(spans: readonly DecodedSpan[], catalog = new ToolCatalog()) {
  return new SpanNormalizer(catalog).normalize(spans);
}

function semconvCall(attributes: Attributes = {}, overrides: Partial<DecodedSpan> = {}): DecodedSpan {
  return decodedSpan({
    name: 'tools/call search_files',
    kind: SpanKind.CLIENT,
    attributes: {
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search_files',
      'mcp.session.id': 'session-a',
      ...attributes,
    },
    ...overrides,
  });
}

function onlyCall(events: readonly NormalizedEvent[]): ToolCallEvent {
  const calls = events.filter((event): event is ToolCallEvent => event.type === 'tool_call');
  expect(calls).toHaveLength(1);
  return calls[0]!;
}

function onlyRoot(events: readonly NormalizedEvent[]): SessionRootEvent {
  const roots = events.filter((event): event is SessionRootEvent => event.type === 'session_root');
  expect(roots).toHaveLength(1);
  return roots[0]!;
}

describe('SpanNormalizer: unusable spans', () => {
  it('rejects a tool call without a tool name in each convention, with the span and the reason', () => {
    const unnamed = [
      semconvCall({ 'gen_ai.tool.name': '' }),
      decodedSpan({ attributes: { 'mcp.method.name': 'tools/call', 'mcp.request.id': '7' } }),
      decodedSpan({ attributes: { 'openinference.span.kind': 'TOOL', 'input.value': '{}' } }),
      decodedSpan({ attributes: { 'traceloop.span.kind': 'tool' } }),
    ];
    const good = semconvCall();
    const { events, rejected, ignored } = normalize([...unnamed, good]);
    expect(rejected.map((r) => r.reason)).toEqual([
      'semconv tool call without gen_ai.tool.name',
      'MCP tools/call span without mcp.tool.name',
      'OpenInference TOOL span without tool.name',
      'Traceloop tool span without traceloop.entity.name',
    ]);
    unnamed.forEach((span, i) => expect(rejected[i]!.path).toContain(span.spanId));
    expect(onlyCall(events).spanId).toBe(good.spanId);
    expect(ignored).toBe(0);
  });

  it('leaves a span with GenAI names but another convention\'s tool name to that convention', () => {
    const span = decodedSpan({
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'run_query' },
    });
    const { events, rejected } = normalize([span]);
    expect(rejected).toEqual([]);
    expect(onlyCall(events)).toMatchObject({ tool: 'run_query', convention: 'traceloop' });
  });

  it('never throws: a span it cannot even read is rejected and the batch goes on', () => {
    const broken = { ...semconvCall(), attributes: undefined } as unknown as DecodedSpan;
    const good = semconvCall();
    const { events, rejected } = normalize([broken, good]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.path).toContain(broken.spanId);
    expect(onlyCall(events).spanId).toBe(good.spanId);
  });

  it('counts spans of no convention, and agents nested in another agent, as ignored', () => {
    const agent = decodedSpan({ attributes: { 'openinference.span.kind': 'AGENT', 'input.value': 'hi' } });
    const spans = [
      agent,
      decodedSpan({ parentSpanId: agent.spanId, attributes: { 'openinference.span.kind': 'CHAIN' } }),
      decodedSpan({ parentSpanId: agent.spanId, attributes: { 'openinference.span.kind': 'RETRIEVER' } }),
      decodedSpan({ attributes: { 'http.request.method': 'GET' } }),
      decodedSpan({ attributes: { 'gen_ai.operation.name': 'chat' } }),
    ];
    const { events, ignored } = normalize(spans);
    expect(events.map((event) => event.spanId)).toEqual([agent.spanId]);
    expect(ignored).toBe(4);
  });
});

describe('SpanNormalizer: arguments and results', () => {
  it('parses JSON arguments, keeps structured ones, and keeps text that is not JSON as it was', () => {
    const cases: [Attributes[string] | undefined, unknown][] = [
      ['{"path": "/etc/passwd", "limit": 3}', { path: '/etc/passwd', limit: 3 }],
      ['{"path": "/etc/passwd",', '{"path": "/etc/passwd",'],
      ['rm -rf /', 'rm -rf /'],
      [{ path: '/tmp', recursive: true }, { path: '/tmp', recursive: true }],
      [undefined, null],
    ];
    for (const [sent, expected] of cases) {
      const attributes: Attributes = sent === undefined ? {} : { 'gen_ai.tool.call.arguments': sent };
      expect(onlyCall(normalize([semconvCall(attributes)]).events).arguments).toEqual(expected);
    }
  });

  it('collects MCP draft arguments, decoding each JSON value and keeping raw text', () => {
    const span = decodedSpan({
      attributes: {
        'mcp.method.name': 'tools/call',
        'mcp.tool.name': 'send_email',
        'mcp.request.argument.to': '"mallory@evil.example"',
        'mcp.request.argument.cc': '["a@example.com"]',
        'mcp.request.argument.urgent': 'true',
        'mcp.request.argument.subject': 'not json',
        'mcp.request.argument.__proto__': '{"polluted": true}',
      },
    });
    const args = onlyCall(normalize([span]).events).arguments as Record<string, unknown>;
    expect(Object.keys(args).sort()).toEqual(['__proto__', 'cc', 'subject', 'to', 'urgent']);
    expect(args.to).toBe('mallory@evil.example');
    expect(args.cc).toEqual(['a@example.com']);
    expect(args.urgent).toBe(true);
    expect(args.subject).toBe('not json');
    expect(Object.getOwnPropertyDescriptor(args, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads results as text without parsing them', () => {
    const structured = onlyCall(normalize([semconvCall({ 'gen_ai.tool.call.result': { rows: 2 } })]).events);
    expect(structured.result).toBe('{"rows":2}');

    const draft = decodedSpan({
      attributes: {
        'mcp.tool.name': 'read_file',
        'mcp.tool.result.content_count': 2,
        'mcp.tool.result.0.content': 'first',
        'mcp.tool.result.1.content': 'second',
      },
    });
    expect(onlyCall(normalize([draft]).events).result).toBe('first\nsecond');

    const traceloopTool = (output: string) =>
      decodedSpan({
        attributes: { 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'read_file', 'traceloop.entity.output': output },
      });
    const outputs: [string, string, 'ok' | 'error'][] = [
      ['{"result":"line \\"one\\"\\nline two","is_error":false}', 'line "one"\nline two', 'ok'],
      ['{"is_error":true}', '', 'error'],
      ['"a decorated function\'s string"', "a decorated function's string", 'ok'],
      ['{"rows": [1, 2]}', '{"rows": [1, 2]}', 'ok'],
    ];
    for (const [output, text, status] of outputs) {
      const call = onlyCall(normalize([traceloopTool(output)]).events);
      expect([call.result, call.status]).toEqual([text, status]);
    }
  });
});

describe('SpanNormalizer: session, status, identity', () => {
  it('keys sessions by the conversation (gen_ai.conversation.id, session.id, Traceloop), then mcp.session.id, then the trace id', () => {
    const keyed = (attributes: Attributes) => {
      const span = decodedSpan({ attributes: { 'openinference.span.kind': 'TOOL', 'tool.name': 't', ...attributes } });
      const call = onlyCall(normalize([span]).events);
      return [call.sessionId, call.sessionKey];
    };
    expect(keyed({ 'mcp.session.id': 'm', 'gen_ai.conversation.id': 'c', 'session.id': 's' })).toEqual(['c', 'conversation']);
    expect(keyed({ 'mcp.session.id': 'm', 'session.id': 's' })).toEqual(['s', 'conversation']);
    expect(keyed({ 'traceloop.association.properties.session_id': 't' })).toEqual(['t', 'conversation']);
    expect(keyed({ 'mcp.session.id': 'm' })).toEqual(['m', 'transport']);
    expect(keyed({})).toEqual([TEST_TRACE_ID, 'trace']);
  });

  it('cuts names, ids and descriptions that become keys of bounded maps to their limits', () => {
    const long = (c: string) => c.repeat(100_000);
    const call = onlyCall(
      normalize([
        semconvCall({
          'gen_ai.tool.name': `search_${long('x')}`,
          'gen_ai.tool.description': long('d'),
          'gen_ai.conversation.id': long('c'),
          'user.id': long('u'),
          'server.address': long('s'),
        }),
      ]).events,
    );
    expect(call.tool).toBe(`search_${'x'.repeat(TEXT_LIMITS.toolName - 7)}`);
    expect(call.sessionId).toBe('c'.repeat(TEXT_LIMITS.identifier));
    expect(call.userId).toBe('u'.repeat(TEXT_LIMITS.identifier));
    expect(call.server).toBe('s'.repeat(TEXT_LIMITS.toolName));
    // Still classed by its name.
    expect(call.toolClass).toMatchObject({ category: 'data_access', inferred: true });
  });

  it('marks a call failed on an ERROR status or an error.type, naming the class it can', () => {
    const status = (attributes: Attributes, statusCode: StatusCode) => {
      const call = onlyCall(normalize([semconvCall(attributes, { statusCode })]).events);
      return [call.status, call.errorType];
    };
    expect(status({}, StatusCode.OK)).toEqual(['ok', '']);
    expect(status({}, StatusCode.UNSET)).toEqual(['ok', '']);
    expect(status({ 'error.type': 'timeout' }, StatusCode.UNSET)).toEqual(['error', 'timeout']);
    expect(status({}, StatusCode.ERROR)).toEqual(['error', '_OTHER']);
  });

  it('takes the user from user.id or enduser.id, and the attestation from the span or its resource', () => {
    const root = decodedSpan({
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'enduser.id': 'bob' },
      resource: decodedResource('agent', { 'chainwatch.attestation': 'signed-by-gateway' }),
    });
    const event = onlyRoot(normalize([root]).events);
    expect([event.userId, event.attestation, event.service]).toEqual(['bob', 'signed-by-gateway', 'agent']);
  });

  it('gives the duration in milliseconds, never negative', () => {
    const call = (startTimeMs: number, endTimeMs: number) =>
      onlyCall(normalize([semconvCall({}, { startTimeMs, endTimeMs })]).events).durationMs;
    expect(call(1_000.25, 1_050.75)).toBe(50.5);
    expect(call(2_000, 1_999)).toBe(0);
  });
});

describe('SpanNormalizer: session roots', () => {
  const chain = (parentSpanId: string) =>
    decodedSpan({ parentSpanId, attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': 'hello' } });

  it('takes a CHAIN or AGENT span as the root when it has no parent, or its parent is not known', () => {
    expect(normalize([chain('')]).events.map((e) => e.type)).toEqual(['session_root']);
    expect(normalize([chain('00000000000000aa')]).events.map((e) => e.type)).toEqual(['session_root']);
  });

  it('takes a span under an HTTP server span as the root, not one under an agent or a tool', () => {
    const http = decodedSpan({ kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST' } });
    expect(normalize([http, chain(http.spanId)]).events.map((e) => e.type)).toEqual(['session_root']);

    const tool = semconvCall();
    const subAgent = decodedSpan({ parentSpanId: tool.spanId, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    const { events, ignored } = normalize([tool, subAgent]);
    expect(events.map((e) => e.type)).toEqual(['tool_call']);
    expect(ignored).toBe(1);
  });

  it("takes Traceloop's MCP connection span as a root only when nothing encloses it", () => {
    const session = (parentSpanId: string) =>
      decodedSpan({
        parentSpanId,
        attributes: { 'traceloop.span.kind': 'session', 'traceloop.workflow.name': 'desk.mcp' },
      });
    expect(onlyRoot(normalize([session('')]).events).agentName).toBe('desk.mcp');
    expect(normalize([session('00000000000000aa')]).events).toEqual([]);
  });

  it('finds the user prompt in the shapes producers write it', () => {
    const langchain = {
      messages: [
        [
          { lc: 1, type: 'constructor', id: ['langchain', 'schema', 'messages', 'SystemMessage'], kwargs: { content: 'sys' } },
          { lc: 1, type: 'constructor', id: ['langchain', 'schema', 'messages', 'HumanMessage'], kwargs: { content: 'from langchain' } },
        ],
      ],
    };
    const cases: [Attributes, string][] = [
      [{ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.prompt': 'older plain prompt' }, 'older plain prompt'],
      [
        {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.input.messages': [
            { role: 'system', parts: [{ type: 'text', content: 'sys' }] },
            { role: 'user', parts: [{ type: 'text', content: 'structured attribute' }] },
          ],
        },
        'structured attribute',
      ],
      [
        {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.prompt.0.role': 'system',
          'gen_ai.prompt.0.content': 'sys',
          'gen_ai.prompt.1.role': 'user',
          'gen_ai.prompt.1.content': 'indexed prompt',
        },
        'indexed prompt',
      ],
      [{ 'openinference.span.kind': 'AGENT', 'input.value': 'plain text input' }, 'plain text input'],
      [{ 'openinference.span.kind': 'CHAIN', 'input.value': '{"input": "wrapped input"}' }, 'wrapped input'],
      [{ 'openinference.span.kind': 'CHAIN', 'input.value': JSON.stringify(langchain) }, 'from langchain'],
      [{ 'openinference.span.kind': 'CHAIN', 'input.value': '{"k": 1}' }, '{"k": 1}'],
      [
        { 'traceloop.span.kind': 'workflow', 'traceloop.entity.input': '{"args":[],"kwargs":{"question":"kwargs prompt"}}' },
        'kwargs prompt',
      ],
    ];
    for (const [attributes, prompt] of cases) {
      expect(onlyRoot(normalize([decodedSpan({ attributes })]).events).prompt).toBe(prompt);
    }
  });

  it('keeps a root whose input nests arrays deeper than it reads, instead of rejecting it', () => {
    const nested = `${'['.repeat(10_000)}"deep"${']'.repeat(10_000)}`;
    const { events, rejected } = normalize([decodedSpan({ attributes: { 'openinference.span.kind': 'AGENT', 'input.value': nested } })]);
    expect(rejected).toEqual([]);
    expect(onlyRoot(events).prompt).toBe(nested.slice(0, TEXT_LIMITS.prompt));
  });
});

describe('SpanNormalizer: tool lists and classes', () => {
  it('learns tools/list definitions per service and classifies later calls with their descriptions', () => {
    const list = decodedSpan({
      attributes: {
        'mcp.method.name': 'tools/list',
        'server.address': 'crm-mcp',
        'gen_ai.tool.definitions': JSON.stringify([
          { type: 'function', function: { name: 'fetch_record', description: "Reads a customer's passport data." } },
          { type: 'function', function: { description: 'no name: skipped' } },
        ]),
      },
    });
    const call = semconvCall({ 'gen_ai.tool.name': 'fetch_record' });
    const otherService = semconvCall({ 'gen_ai.tool.name': 'fetch_record' }, { resource: decodedResource('other') });
    const { events } = normalize([call, list, otherService]);
    expect(events[1]).toMatchObject({
      type: 'tool_list',
      server: 'crm-mcp',
      tools: [{ name: 'fetch_record', description: "Reads a customer's passport data." }],
    });
    const [learned, notLearned] = events.filter((event): event is ToolCallEvent => event.type === 'tool_call').map((c) => c.toolClass);
    expect(learned).toMatchObject({ category: 'pii_access', effect: 'read', inferred: true });
    expect(notLearned).toMatchObject({ category: 'data_access', effect: 'read', inferred: true });
  });

  it('uses the catalog before inference', () => {
    const catalog = parseToolCatalog('tools:\n  search_files: {category: file_write, effect: delete, cost: 2}\n', 'inline.yaml');
    const call = onlyCall(normalize([semconvCall()], catalog).events);
    expect(call.toolClass).toEqual({ category: 'file_write', effect: 'delete', sensitive: false, cost: 2, inferred: false });
  });

  it('reads OpenInference advertised tools from an LLM span, names from the JSON schema when needed', () => {
    const llm = decodedSpan({
      attributes: {
        'openinference.span.kind': 'LLM',
        'llm.tools.0.tool.name': 'search',
        'llm.tools.0.tool.description': 'Search the web',
        'llm.tools.1.tool.json_schema': '{"type":"function","function":{"name":"calc","description":"Adds"}}',
      },
    });
    const [list] = normalize([llm]).events;
    expect(list).toMatchObject({
      type: 'tool_list',
      tools: [
        { name: 'search', description: 'Search the web' },
        { name: 'calc', description: 'Adds' },
      ],
    });
  });

  it('gives span ids through unchanged, so a call nested in a tool span can be told from the agent’s', () => {
    const outer = semconvCall();
    const nested = semconvCall({}, { parentSpanId: outer.spanId, spanId: testSpanId() });
    const { events } = normalize([outer, nested]);
    expect(events.map((event) => [event.spanId, event.parentSpanId])).toEqual([
      [outer.spanId, outer.parentSpanId],
      [nested.spanId, outer.spanId],
    ]);
  });
});
