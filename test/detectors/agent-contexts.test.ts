import { describe, expect, it } from 'vitest';
import { AgentContexts } from '../../src/detectors/agent-contexts.js';

describe('AgentContexts', () => {
  const agents = [...Array(6).fill('support'), ...Array(5).fill('finance'), ...Array(4).fill('rare'), '', ''];

  it('gives each agent with enough training sessions a context, numbered after the prompt clusters', () => {
    const contexts = AgentContexts.fit(agents, 10);
    expect(contexts.count).toBe(2);
    expect([contexts.idOf('finance'), contexts.idOf('support')]).toEqual([10, 11]);
    // Too few sessions to say what it does, never seen, or unnamed: judged against all sessions.
    expect([contexts.idOf('rare'), contexts.idOf('unknown'), contexts.idOf('')]).toEqual([-1, -1, -1]);
    expect(contexts.contextOf({ service: 'support' })).toBe(11);
    expect([contexts.agentOf(11), contexts.agentOf(3), contexts.agentOf(12)]).toEqual(['support', undefined, undefined]);
  });

  it('round-trips through JSON and refuses anything else, naming where', () => {
    const contexts = AgentContexts.fit(agents, 3);
    const back = AgentContexts.fromJSON(JSON.parse(JSON.stringify(contexts.toJSON())));
    expect([back.idOf('finance'), back.idOf('support'), back.count]).toEqual([3, 4, 2]);
    expect(() => AgentContexts.fromJSON(undefined, 'clusters.json agents')).toThrow('clusters.json agents: expected format chainwatch.agent-contexts/1');
    expect(() => AgentContexts.fromJSON({ ...contexts.toJSON(), agents: [1] })).toThrow('expected format');
  });
});
