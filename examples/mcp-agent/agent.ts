import { TraceFlags, context, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startAgentSessionSpan, traceMcpToolCall } from '../../src/sdk/index.js';
import { TOOLS_SERVER } from './tools-server.js';

export interface ToolStep {
  readonly tool: string;
  readonly arguments: Record<string, unknown>;
}

/** One turn of the agent: a prompt and the tool calls its model decided on. */
export interface AgentTurn {
  readonly prompt: string;
  readonly steps: readonly ToolStep[];
}

export interface AgentSession {
  readonly sessionId: string;
  /** The user the agent writes on its spans: nothing binds it but the attestation. */
  readonly claimedUser: string;
  /** Signed by the orchestrator; '' when it gave none. */
  readonly attestation: string;
}

export interface TurnOutcome {
  readonly traceId: string;
  /** The head sampler's decision for the turn's root span. */
  readonly sampled: boolean;
}

/**
 * Runs one turn as one trace: an `invoke_agent` root span (session id, user, prompt and attestation set
 * at start, where a sampler can see them) and a CLIENT span per tool call, whose context travels to the
 * server in `params._meta`.
 */
export async function runAgentTurn(client: Client, tracer: Tracer, session: AgentSession, turn: AgentTurn): Promise<TurnOutcome> {
  const root = startAgentSessionSpan(
    tracer,
    {
      sessionId: session.sessionId,
      agentName: 'support-assistant',
      userId: session.claimedUser,
      prompt: turn.prompt,
      ...(session.attestation !== '' ? { attestation: session.attestation } : {}),
    },
    { captureContent: true },
  );
  try {
    await context.with(trace.setSpan(context.active(), root), async () => {
      for (const step of turn.steps) {
        await traceMcpToolCall(
          tracer,
          {
            tool: step.tool,
            arguments: step.arguments,
            conversationId: session.sessionId,
            userId: session.claimedUser,
            serverAddress: TOOLS_SERVER,
            ...(session.attestation !== '' ? { attestation: session.attestation } : {}),
          },
          (meta) => client.callTool({ name: step.tool, arguments: step.arguments, _meta: meta }),
          { captureContent: true },
        );
      }
    });
  } finally {
    root.end();
  }
  const { traceId, traceFlags } = root.spanContext();
  return { traceId, sampled: (traceFlags & TraceFlags.SAMPLED) !== 0 };
}
