import { describe, expect, it } from 'vitest';
import { CATEGORIES, findCategories } from './categories.js';

const codes = (q: string) => findCategories(q).map((c) => c.code);

describe('finding a category by everyday words', () => {
  it('finds a chapter by an English or Bangla word, by part of one, or by its code', () => {
    expect(codes('diabetes')).toEqual(['IV']);
    expect(codes('  Diabetes ')).toEqual(['IV']);
    expect(codes('ডায়াবেটিস')).toEqual(['IV']);
    expect(codes('asth')).toEqual(['X']);
    expect(codes('হাঁপানি')).toEqual(['X']);
    expect(codes('iv')[0]).toBe('IV'); // the code first, then 'hiv', 'liver', 'delivery'…
    expect(codes('blood')).toEqual(['III', 'IX', 'XXI']);
    expect(codes('কানের')).toEqual(['VIII']); // the Bangla chapter name
  });

  it('finds nothing for an empty query or a word no chapter knows', () => {
    expect(codes('')).toEqual([]);
    expect(codes('   ')).toEqual([]);
    expect(codes('quantum')).toEqual([]);
  });

  it('every chapter has words, and each of them finds it', () => {
    for (const c of CATEGORIES) {
      expect(c.keywords.length, c.code).toBeGreaterThan(0);
      for (const k of c.keywords) expect(codes(k), `${c.code} ${k}`).toContain(c.code);
    }
  });
});
