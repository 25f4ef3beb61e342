import { describe, expect, it } from 'vitest';
import { searchDirectory, type DirectoryEntry } from './directory.js';

const doc = (name: string, speciality: string, hospitalName: string): DirectoryEntry => ({
  id: name,
  name,
  speciality,
  degree: 'MBBS',
  hospitalId: hospitalName,
  hospitalName,
  encryptionPublic: ''
});

const entries = [
  doc('Dr. Ayesha Rahman', 'Endocrinology', 'Dhaka Medical College Hospital'),
  doc('Dr. Karim Uddin', 'Cardiology', 'Chittagong General'),
  doc('Dr. Nusrat Jahan', 'Cardiology', 'Dhaka Medical College Hospital')
];

describe('offline directory search', () => {
  it('matches every word across name, speciality and hospital, any case', () => {
    expect(searchDirectory(entries, 'cardio dhaka').map((e) => e.name)).toEqual(['Dr. Nusrat Jahan']);
    expect(searchDirectory(entries, 'RAHMAN').map((e) => e.name)).toEqual(['Dr. Ayesha Rahman']);
    expect(searchDirectory(entries, 'surgery')).toEqual([]);
    expect(searchDirectory(entries, '  ')).toHaveLength(3);
  });
});
