import { describe, expect, it } from 'vitest';
import { boundedText } from '../../src/normalize/bounded-text.js';

describe('boundedText', () => {
  it('returns text within the limit as it is, and cuts longer text to the limit', () => {
    expect(boundedText('search_files', 256)).toBe('search_files');
    expect(boundedText('', 4)).toBe('');
    expect(boundedText('abcdefgh', 4)).toBe('abcd');
    expect(boundedText('é'.repeat(10), 3)).toBe('ééé');
  });
});
