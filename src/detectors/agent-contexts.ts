import type { SessionView } from '../session/session-view.js';

export const AGENT_CONTEXTS_FORMAT = 'chainwatch.agent-contexts/1';
/** An agent with fewer training sessions is judged against all sessions: too few to say what it does. */
export const MIN_AGENT_SESSIONS = 5;

export interface SerializedAgentContexts {
  readonly format: typeof AGENT_CONTEXTS_FORMAT;
  /** Context id of the first agent; the others follow in order. */
  readonly first: number;
  readonly agents: readonly string[];
}

/**
 * The agents of the training traffic (their `service.name`), each a context of its own, numbered after
 * the prompt clusters. A session whose prompt is not known (live, it may come only with the agent's
 * root span, which ends last; or the instrumentation does not record prompts) is judged against the
 * sessions of its agent, which every span names, rather than against all sessions.
 */
export class AgentContexts {
  private readonly ids: ReadonlyMap<string, number>;

  private constructor(
    readonly first: number,
    private readonly agents: readonly string[],
  ) {
    this.ids = new Map(agents.map((agent, i) => [agent, first + i]));
  }

  /** The agents with at least `minSessions` sessions, sorted, numbered from `first`. */
  static fit(agentOfSession: readonly string[], first: number, minSessions = MIN_AGENT_SESSIONS): AgentContexts {
    const sessions = new Map<string, number>();
    for (const agent of agentOfSession) if (agent !== '') sessions.set(agent, (sessions.get(agent) ?? 0) + 1);
    const agents = [...sessions].filter(([, n]) => n >= minSessions).map(([agent]) => agent).sort();
    return new AgentContexts(first, agents);
  }

  get count(): number {
    return this.agents.length;
  }

  /** The agent's context id, -1 when training did not know it. */
  idOf(agent: string): number {
    return this.ids.get(agent) ?? -1;
  }

  /** The agent a context id stands for, undefined for a prompt cluster. */
  agentOf(id: number): string | undefined {
    return id >= this.first ? this.agents[id - this.first] : undefined;
  }

  /** The context of a session without a prompt: its agent's, or -1. */
  contextOf(session: Pick<SessionView, 'service'>): number {
    return this.idOf(session.service);
  }

  toJSON(): SerializedAgentContexts {
    return { format: AGENT_CONTEXTS_FORMAT, first: this.first, agents: [...this.agents] };
  }

  static fromJSON(value: unknown, where = 'agent contexts'): AgentContexts {
    const data = value as Partial<SerializedAgentContexts> | null;
    if (
      data === null ||
      typeof data !== 'object' ||
      data.format !== AGENT_CONTEXTS_FORMAT ||
      !Number.isInteger(data.first) ||
      !Array.isArray(data.agents) ||
      !data.agents.every((agent) => typeof agent === 'string')
    ) {
      throw new Error(`${where}: expected format ${AGENT_CONTEXTS_FORMAT} with first and agents`);
    }
    return new AgentContexts(data.first as number, data.agents);
  }
}
