import { describe, it, expect } from 'vitest';
import { AgentContexts } from '../../../src/detectors/agent-contexts.js';
import { MarkovModel, createMarkovDetector } from '../../../src/detectors/markov/index.js';
import { replay, session } from '../../training/fixtures.js';

const read = { tool: 'read_inbox', category: 'data_access' as const };
const summarize = { tool: 'read_calendar', category: 'data_access' as const };
const send = { tool: 'send_message', category: 'external_communication' as const, effect: 'send' as const };

function trained() {
  const sequences = [];
  for (let i = 0; i < 20; i++) sequences.push({ steps: [read, summarize], cluster: 0 });
  for (let i = 0; i < 20; i++) sequences.push({ steps: [read, send], cluster: 1 });
  return MarkovModel.train(sequences, { order: 1 });
}

describe('markov detector', () => {
  it('flags a transition the prompt cluster never makes and names it with its probability', () => {
    const detector = createMarkovDetector(trained(), { clusterOf: (p) => (p.includes('summarize') ? 0 : 1), minScore: 0 });
    const findings = replay(detector, session('s1', 'summarize my inbox', [read, send]));
    const sendFinding = findings.find((f) => f.callIndex === 1);
    expect(sendFinding?.message).toMatch(/read_inbox -> send_message has learned probability/);
    expect(sendFinding?.message).toMatch(/prompt cluster 0/);
    const normal = replay(detector, session('s2', 'reply to the inbox', [read, send])).find((f) => f.callIndex === 1);
    expect(sendFinding?.score ?? 0).toBeGreaterThan(normal?.score ?? 0);
  });

  it('leaves calls outside the sequence unscored and out of the history', () => {
    const outside = new Set<number>([1]);
    const detector = createMarkovDetector(trained(), { clusterOf: () => 0, minScore: 0, skipsSequence: (_session, index) => outside.has(index) });
    const findings = replay(detector, session('m', 'summarize', [read, send, summarize]));
    expect(findings.filter((f) => f.callIndex === 1)).toEqual([]);
    // What follows is judged against the step before it, and so is the end.
    expect(findings.find((f) => f.callIndex === 2)?.message).toMatch(/call 2: read_inbox -> read_calendar/);
    expect(findings.find((f) => f.id === 'improbable-end')?.message).toMatch(/ended after read_calendar/);
    outside.add(0);
    const onlyOutside = replay(detector, session('o', 'summarize', [send, send]));
    expect(onlyOutside.map((f) => f.id)).toEqual(['improbable-end']);
    expect(onlyOutside[0]?.message).toMatch(/ended after messages only/);
  });

  it('calibrates steps into actions, sensitive reads and fetches from outside apart from other reads', () => {
    const detector = createMarkovDetector(trained(), { clusterOf: () => 0, minScore: 0 });
    const fetch = { tool: 'open_url', category: 'external_communication' as const };
    const profile = { tool: 'read_profile', category: 'pii_access' as const, sensitive: true };
    const byUrl = { tool: 'load_page', category: 'data_access' as const, args: { url: 'https://example.org/a' } };
    const ids = replay(detector, session('k', 'summarize', [read, fetch, profile, byUrl, summarize, send]))
      .filter((f) => f.callIndex >= 1 && f.id !== 'improbable-end')
      .map((f) => `${f.callIndex}:${f.id}`);
    expect(ids).toEqual(['1:improbable-action', '2:improbable-action', '3:improbable-action', '4:improbable-transition', '5:improbable-action']);
  });

  it('uses the global model before the prompt is known', () => {
    const detector = createMarkovDetector(trained(), { clusterOf: () => 0, minScore: 0 });
    const findings = replay(detector, session('s3', '', [read, send]));
    expect(findings.find((f) => f.callIndex === 1)?.message).toMatch(/global model/);
  });

  it('scores a session whose prompt is not known yet on the scale fitted for that state', () => {
    const detector = createMarkovDetector(trained(), {
      clusterOf: () => 0,
      minScore: 0,
      scales: { 'improbable-transition': () => 0.1, 'improbable-action': () => 0.2, 'improbable-end': () => 0.3 },
      scalesWithoutPrompt: { 'improbable-action': () => 0.6 },
    });
    const scores = (prompt: string) => replay(detector, session('p', prompt, [read, send])).map((f) => `${f.id}:${f.score}`);
    expect(scores('summarize')).toEqual(['improbable-transition:0.1', 'improbable-action:0.2', 'improbable-end:0.3']);
    // Without a prompt: its own scale where there is one, else the prompt's.
    expect(scores('')).toEqual(['improbable-transition:0.1', 'improbable-action:0.6', 'improbable-end:0.3']);
  });

  it("uses the agent's context without a prompt, when training knew the agent", () => {
    const agentContexts = AgentContexts.fit([...Array(20).fill('mail-agent')], 2);
    const sequences = [];
    for (let i = 0; i < 20; i++) sequences.push({ steps: [read, summarize], cluster: 0, context: agentContexts.idOf('mail-agent') });
    for (let i = 0; i < 20; i++) sequences.push({ steps: [read, send], cluster: 1 });
    const detector = createMarkovDetector(MarkovModel.train(sequences, { order: 1 }), { clusterOf: () => 0, agentContexts, minScore: 0 });
    const sendAfterRead = (agent: string) => replay(detector, session('a', '', [read, send], agent)).find((f) => f.callIndex === 1)!;
    expect(sendAfterRead('mail-agent').message).toMatch(/agent mail-agent, prompt not known/);
    expect(sendAfterRead('other-agent').message).toMatch(/global model/);
    // The mail agent never sends after reading; all sessions together often do.
    expect(sendAfterRead('mail-agent').score).toBeGreaterThan(sendAfterRead('other-agent').score);
  });

  it('reports an improbable end at observeEnd', () => {
    const detector = createMarkovDetector(trained(), { minScore: 0 });
    const findings = replay(detector, session('s4', '', [read, read, read]));
    const end = findings.find((f) => f.id === 'improbable-end');
    // Known only at the end: it counts from the last call (when lead time is measured), not before the first.
    expect(end?.callIndex).toBe(2);
    expect(end?.message).toMatch(/ended after read_inbox/);
  });

  it('stays quiet below minScore', () => {
    const detector = createMarkovDetector(trained(), { clusterOf: () => 0, minScore: 0.9 });
    expect(replay(detector, session('s5', 'summarize', [read, summarize]))).toEqual([]);
  });
});
