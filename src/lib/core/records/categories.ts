/**
 * The category code system for the secure index: the 22 chapters of ICD-10, so a patient can grant
 * "diabetes" (chapter IV) without granting "mental health" (chapter V). Codes are the chapter's Roman
 * numeral — short, because a grant QR code carries them. Names in English and Bangla for the app;
 * `keywords`, in English and Bangla, let the doctor find a category by everyday words ("diabetes",
 * "ডায়াবেটিস") as the thesis's scenario 3 does.
 */

export interface Category {
  code: string;
  range: string;
  en: string;
  bn: string;
  keywords: readonly string[];
}

export const CATEGORIES: readonly Category[] = [
  {
    code: 'I',
    range: 'A00–B99',
    en: 'Infectious and parasitic diseases',
    bn: 'সংক্রামক ও পরজীবীজনিত রোগ',
    keywords: [
      'infection',
      'tuberculosis',
      'dengue',
      'hepatitis',
      'hiv',
      'malaria',
      'cholera',
      'যক্ষ্মা',
      'ডেঙ্গু',
      'ম্যালেরিয়া',
      'কলেরা'
    ]
  },
  {
    code: 'II',
    range: 'C00–D48',
    en: 'Neoplasms (tumours, cancer)',
    bn: 'টিউমার ও ক্যানসার',
    keywords: ['cancer', 'tumour', 'tumor', 'oncology']
  },
  {
    code: 'III',
    range: 'D50–D89',
    en: 'Blood and immune system',
    bn: 'রক্ত ও রোগপ্রতিরোধ ব্যবস্থার রোগ',
    keywords: ['anaemia', 'anemia', 'thalassaemia', 'blood', 'immune']
  },
  {
    code: 'IV',
    range: 'E00–E90',
    en: 'Endocrine, nutritional and metabolic diseases',
    bn: 'অন্তঃক্ষরা, পুষ্টি ও বিপাকজনিত রোগ',
    keywords: [
      'diabetes',
      'thyroid',
      'obesity',
      'malnutrition',
      'cholesterol',
      'ডায়াবেটিস',
      'থাইরয়েড',
      'অপুষ্টি'
    ]
  },
  {
    code: 'V',
    range: 'F00–F99',
    en: 'Mental and behavioural disorders',
    bn: 'মানসিক ও আচরণগত রোগ',
    keywords: ['depression', 'anxiety', 'mental', 'psychiatric', 'বিষণ্নতা', 'উদ্বেগ']
  },
  {
    code: 'VI',
    range: 'G00–G99',
    en: 'Nervous system',
    bn: 'স্নায়ুতন্ত্রের রোগ',
    keywords: ['epilepsy', 'migraine', 'neurology', 'parkinson']
  },
  {
    code: 'VII',
    range: 'H00–H59',
    en: 'Eye',
    bn: 'চোখের রোগ',
    keywords: ['eye', 'cataract', 'glaucoma', 'vision']
  },
  { code: 'VIII', range: 'H60–H95', en: 'Ear', bn: 'কানের রোগ', keywords: ['ear', 'hearing', 'otitis'] },
  {
    code: 'IX',
    range: 'I00–I99',
    en: 'Heart and circulation',
    bn: 'হৃদ্‌যন্ত্র ও রক্তসংবহনতন্ত্রের রোগ',
    keywords: ['heart', 'hypertension', 'blood pressure', 'stroke', 'cardiac', 'হৃদরোগ', 'উচ্চ রক্তচাপ', 'স্ট্রোক']
  },
  {
    code: 'X',
    range: 'J00–J99',
    en: 'Respiratory system',
    bn: 'শ্বসনতন্ত্রের রোগ',
    keywords: ['asthma', 'pneumonia', 'copd', 'lung', 'cough', 'হাঁপানি', 'নিউমোনিয়া', 'কাশি']
  },
  {
    code: 'XI',
    range: 'K00–K93',
    en: 'Digestive system',
    bn: 'পরিপাকতন্ত্রের রোগ',
    keywords: ['gastric', 'ulcer', 'liver', 'digestive', 'dental']
  },
  { code: 'XII', range: 'L00–L99', en: 'Skin', bn: 'ত্বকের রোগ', keywords: ['skin', 'eczema', 'dermatitis'] },
  {
    code: 'XIII',
    range: 'M00–M99',
    en: 'Muscles, bones and joints',
    bn: 'পেশি, অস্থি ও সন্ধির রোগ',
    keywords: ['arthritis', 'back pain', 'osteoporosis', 'joint', 'বাত', 'কোমর ব্যথা']
  },
  {
    code: 'XIV',
    range: 'N00–N99',
    en: 'Kidneys, urinary and genital system',
    bn: 'কিডনি, মূত্র ও প্রজননতন্ত্রের রোগ',
    keywords: ['kidney', 'renal', 'urinary']
  },
  {
    code: 'XV',
    range: 'O00–O99',
    en: 'Pregnancy and childbirth',
    bn: 'গর্ভধারণ ও প্রসব',
    keywords: ['pregnancy', 'antenatal', 'childbirth', 'delivery', 'গর্ভাবস্থা', 'প্রসব']
  },
  {
    code: 'XVI',
    range: 'P00–P96',
    en: 'Conditions of the newborn',
    bn: 'নবজাতকের অবস্থা',
    keywords: ['newborn', 'neonatal', 'perinatal']
  },
  {
    code: 'XVII',
    range: 'Q00–Q99',
    en: 'Congenital conditions',
    bn: 'জন্মগত ত্রুটি',
    keywords: ['congenital', 'genetic', 'chromosomal']
  },
  {
    code: 'XVIII',
    range: 'R00–R99',
    en: 'Symptoms and abnormal findings',
    bn: 'উপসর্গ ও অস্বাভাবিক পরীক্ষার ফল',
    keywords: ['fever', 'pain', 'symptom', 'finding']
  },
  {
    code: 'XIX',
    range: 'S00–T98',
    en: 'Injury, poisoning and allergic reactions',
    bn: 'আঘাত, বিষক্রিয়া ও অ্যালার্জি প্রতিক্রিয়া',
    keywords: ['injury', 'fracture', 'poisoning', 'burn', 'allergy']
  },
  {
    code: 'XX',
    range: 'V01–Y98',
    en: 'External causes',
    bn: 'বাহ্যিক কারণ',
    keywords: ['accident', 'external']
  },
  {
    code: 'XXI',
    range: 'Z00–Z99',
    en: 'Check-ups, blood group and health status',
    bn: 'স্বাস্থ্য পরীক্ষা, রক্তের গ্রুপ ও স্বাস্থ্য অবস্থা',
    keywords: ['checkup', 'blood group', 'vaccination', 'screening', 'টিকা']
  },
  {
    code: 'XXII',
    range: 'U00–U85',
    en: 'Special purposes (e.g. COVID-19)',
    bn: 'বিশেষ উদ্দেশ্য (যেমন কোভিড-১৯)',
    keywords: ['covid', 'covid-19']
  }
];

const BY_CODE = new Map(CATEGORIES.map((c) => [c.code, c]));

export const CATEGORY_CODES: readonly string[] = CATEGORIES.map((c) => c.code);

export function isCategoryCode(code: unknown): code is string {
  return typeof code === 'string' && BY_CODE.has(code);
}

/**
 * Categories whose code, name or keywords match the query (case-insensitive; a part of a word will
 * do). A chapter whose code is the query comes first: "iv" is chapter IV before "hiv" or "liver".
 */
export function findCategories(query: string): Category[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const found = CATEGORIES.filter(
    (c) =>
      c.code.toLowerCase() === q ||
      c.en.toLowerCase().includes(q) ||
      c.bn.includes(query.trim()) ||
      c.keywords.some((k) => k.includes(q))
  );
  return [
    ...found.filter((c) => c.code.toLowerCase() === q),
    ...found.filter((c) => c.code.toLowerCase() !== q)
  ];
}
