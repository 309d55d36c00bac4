import { describe, it, expect } from 'vitest';
import { LabelsFileError, parseLabels, parseScoredLine, ScoresFileError } from '../../../src/training/evaluation/index.js';

const header = 'session,label,split,inj_seen,first_harmful_call,pipeline,attack,trace';

describe('labels CSV', () => {
  it('reads the known columns, quoted cells included, and looks rows up by session and trace', () => {
    const labels = parseLabels(
      [header, 's1,benign,train,,,"gpt-4o, with filter",,ABCDEF', 's2,attack_success,test,true,3,p,important_instructions,', ''].join('\n'),
      'labels.csv',
    );
    expect(labels.rows).toHaveLength(2);
    expect(labels.bySession('s1')).toMatchObject({ label: 'benign', split: 'train', pipeline: 'gpt-4o, with filter', injSeen: undefined, line: 2 });
    expect(labels.byTrace('abcdef')?.session).toBe('s1');
    expect(labels.bySession('s2')).toMatchObject({ label: 'attack_success', injSeen: true, firstHarmfulCall: 3, attack: 'important_instructions', line: 3 });
  });

  it('needs only session and label', () => {
    const labels = parseLabels('label,session\nattack_failed,x\n', 'l.csv');
    expect(labels.bySession('x')).toMatchObject({ label: 'attack_failed', split: '', firstHarmfulCall: undefined });
  });

  it.each([
    ['session,split\ns1,train\n', /^l\.csv:1: header lacks the column label \(has: session, split\)$/],
    [`${header}\ns1,benign\n`, /^l\.csv:2: not valid CSV/],
    [`${header}\ns1,benign,,,,,,\ns2,malicious,,,,,,\n`, /^l\.csv:3: label 'malicious' is not one of benign, attack_success, attack_failed$/],
    [`${header}\ns1,benign,,,,,,\ns1,benign,,,,,,\n`, /^l\.csv:3: session 's1' already labelled on line 2$/],
    [`${header}\ns1,benign,,,,,,ABC\ns2,benign,,,,,,abc\n`, /^l\.csv:3: trace 'abc' is already session 's1's, on line 2$/],
    [`${header}\ns1,attack_success,,yes,,,,\n`, /^l\.csv:2: inj_seen 'yes' is not true or false$/],
    [`${header}\ns1,attack_success,,true,-1,,,\n`, /^l\.csv:2: first_harmful_call '-1' is not a call index/],
    [`${header}\ns1,benign,"train,,,,,\n`, /^l\.csv:2: not valid CSV/],
    ['', /^l\.csv: empty file/],
  ])('rejects bad input with the file and line: %j', (text, message) => {
    expect(() => parseLabels(text, 'l.csv')).toThrowError(LabelsFileError);
    expect(() => parseLabels(text, 'l.csv')).toThrowError(message);
  });
});

describe('scores JSON lines', () => {
  it('reads what re-combination needs', () => {
    const line = parseScoredLine(
      JSON.stringify({ session: 's', traceIds: ['t'], score: 0.5, findings: [{ detector: 'rules', id: 'r', severity: 'high', score: 0.5, message: 'm', callIndex: 2 }] }),
      'f:1',
      1,
    );
    expect(line.findings).toEqual([{ detector: 'rules', id: 'r', score: 0.5, callIndex: 2 }]);
    expect(line.callSideEffects).toBeUndefined();
    expect(line.liveAlertCallIndex).toBeUndefined();
  });

  it('reads where a live-scored session first reached the alert level, and refuses anything else there', () => {
    const live = (value: unknown) => parseScoredLine(JSON.stringify({ session: 's', score: 0.5, findings: [], liveAlertCallIndex: value }), 'f:3', 3);
    expect(live(4).liveAlertCallIndex).toBe(4);
    expect(live(-1).liveAlertCallIndex).toBe(-1);
    expect(live(null).liveAlertCallIndex).toBeNull();
    expect(() => live(1.5)).toThrow("f:3: 'liveAlertCallIndex' must be an integer >= -1 or null");
    expect(() => live('2')).toThrow('liveAlertCallIndex');
  });

  it('reads which calls have a side effect, in session order: a write, delete or send, or a read that reaches outside', () => {
    const calls = [
      { tool: 'search_emails', effect: 'read', outbound: false },
      { tool: 'fetch_url', effect: 'read', outbound: true },
      { tool: 'send_email', effect: 'send', outbound: true },
      { tool: 'get_file', effect: 'read' },
      { tool: 'delete_file', effect: 'delete' },
    ];
    expect(parseScoredLine(JSON.stringify({ session: 's', score: 0, findings: [], calls }), 'f:1', 1).callSideEffects).toEqual([false, true, true, false, true]);
  });

  it.each([
    ['{', /^scores\.jsonl:7: not JSON/],
    ['[]', /^scores\.jsonl:7: expected a JSON object$/],
    ['{"session":"s","score":"high","findings":[]}', /^scores\.jsonl:7: 'score' must be a number$/],
    ['{"session":"s","score":1,"findings":[{"detector":"rules","id":"r","callIndex":0}]}', /^scores\.jsonl:7: findings\[0\]: 'score' must be a number in \[0, 1\] \(written by an older `chainwatch score`/],
    ['{"session":"s","score":0,"findings":[],"calls":{}}', /^scores\.jsonl:7: 'calls' must be a list$/],
    ['{"session":"s","score":0,"findings":[],"calls":[{"tool":"t","effect":"exfiltrate"}]}', /^scores\.jsonl:7: calls\[0\]\.effect must be one of read, write, delete, send$/],
    ['{"session":"s","score":0,"findings":[],"calls":[{"tool":"t","effect":"read","outbound":"yes"}]}', /^scores\.jsonl:7: calls\[0\]\.outbound must be a boolean$/],
  ])('rejects %s with the file and line', (text, message) => {
    expect(() => parseScoredLine(text, 'scores.jsonl:7', 7)).toThrowError(ScoresFileError);
    expect(() => parseScoredLine(text, 'scores.jsonl:7', 7)).toThrowError(message);
  });
});
