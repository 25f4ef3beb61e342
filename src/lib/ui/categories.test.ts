import { describe, expect, it } from 'vitest';
import { chapterOfCode, lookUpCategories } from './categories.js';

describe("the doctor's category look-up", () => {
  it('takes an ICD-10 code as typed to its chapter, and anything else as everyday words', () => {
    expect(chapterOfCode(' e11.9 ')).toBe('IV');
    expect(chapterOfCode('J45')).toBe('X');
    expect(chapterOfCode('diabetes')).toBeUndefined();
    expect(lookUpCategories('E11').map((c) => c.code)).toEqual(['IV']);
    expect(lookUpCategories('diabetes').map((c) => c.code)).toEqual(['IV']);
    expect(lookUpCategories('ডায়াবেটিস').map((c) => c.code)).toEqual(['IV']);
    expect(lookUpCategories('')).toEqual([]);
  });
});
