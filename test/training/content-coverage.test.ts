import { describe, expect, it } from 'vitest';
import { contentCoverageGaps } from '../../src/training/index.js';

const full = { sessions: 100, calls: 400, distinctPrompts: 20, tools: 9, clusters: 4, agents: 2, sessionsWithPrompt: 100, callsWithArguments: 400, callsWithResult: 380 };

describe('contentCoverageGaps', () => {
  it('says nothing when most training traffic carries prompts, arguments and results', () => {
    expect(contentCoverageGaps(full)).toEqual([]);
    expect(contentCoverageGaps({ ...full, sessionsWithPrompt: 50, callsWithArguments: 200, callsWithResult: 200 })).toEqual([]);
  });

  it('names each kind of content most of the traffic lacked, what is lost and what to record', () => {
    const gaps = contentCoverageGaps({ ...full, sessionsWithPrompt: 0, callsWithArguments: 12, callsWithResult: 199 });
    expect(gaps.map((g) => [g.content, g.have, g.of])).toEqual([
      ['prompt', 0, 100],
      ['arguments', 12, 400],
      ['result', 199, 400],
    ]);
    expect(gaps[0]!.message).toMatch(/^0 of 100 training sessions carry the user's prompt: .*Record gen_ai\.input\.messages/);
    expect(gaps[1]!.message).toMatch(/^12 of 400 training calls carry their arguments: .*Record gen_ai\.tool\.call\.arguments/);
    expect(gaps[2]!.message).toContain('Record gen_ai.tool.call.result');
  });

  it('does not ask for call content when there were no calls', () => {
    expect(contentCoverageGaps({ ...full, calls: 0, callsWithArguments: 0, callsWithResult: 0 })).toEqual([]);
  });
});
