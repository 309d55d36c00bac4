import { describe, it, expect } from 'vitest';
import { parseLabels, parseRowCondition, selectRows } from '../../../src/training/evaluation/index.js';

const labels = parseLabels(
  ['session,label,split,suite', 'a,benign,train,travel', 'b,benign,train,workspace', 'c,attack_success,test,travel', 'd,benign,test, workspace '].join('\n'),
  'l.csv',
);

describe('parseRowCondition', () => {
  it('splits at the first = and trims both sides', () => {
    expect(parseRowCondition(' suite = travel ')).toEqual({ column: 'suite', value: 'travel' });
    expect(parseRowCondition('note=a=b')).toEqual({ column: 'note', value: 'a=b' });
    expect(parseRowCondition('suite=')).toEqual({ column: 'suite', value: '' });
  });

  it('refuses text without a column', () => {
    expect(() => parseRowCondition('travel')).toThrow("--where 'travel': expected column=value");
    expect(() => parseRowCondition('=travel')).toThrow('expected column=value');
  });
});

describe('selectRows', () => {
  const sessions = (conditions: Parameters<typeof selectRows>[1]) => labels.rows.filter(selectRows(labels, conditions).matches).map((r) => r.session);

  it('keeps the rows that meet every condition, on any column, values trimmed as read', () => {
    expect(sessions([])).toEqual(['a', 'b', 'c', 'd']);
    expect(sessions([{ column: 'suite', value: 'workspace' }])).toEqual(['b', 'd']);
    expect(sessions([{ column: 'split', value: 'train' }, { column: 'suite', value: 'travel' }])).toEqual(['a']);
    expect(selectRows(labels, [{ column: 'split', value: 'train' }, { column: 'suite', value: 'travel' }]).description).toBe("split 'train' and suite 'travel'");
  });

  it('refuses a column the file lacks, a value no row holds, and conditions no row meets together', () => {
    expect(() => selectRows(labels, [{ column: 'suit', value: 'travel' }])).toThrow("l.csv: no column 'suit' to select rows by (has: session, label, split, suite)");
    expect(() => selectRows(labels, [{ column: 'suite', value: 'banking' }])).toThrow("l.csv: no row has suite 'banking'");
    expect(() => selectRows(labels, [{ column: 'split', value: 'test' }, { column: 'label', value: 'attack_failed' }])).toThrow("no row has label 'attack_failed'");
    expect(() => selectRows(labels, [{ column: 'split', value: 'test' }, { column: 'suite', value: 'travel' }, { column: 'label', value: 'benign' }])).toThrow(
      "l.csv: no row has split 'test' and suite 'travel' and label 'benign'",
    );
  });
});
