import { CASE_FOLDING } from './case-folding.data';

/** Unicode's full case folding, code point by code point (src/common/case-folding.data.ts). */
const FOLDS: ReadonlyMap<number, string> = new Map(
  CASE_FOLDING.split(',').map((entry) => {
    const [from, to] = entry.split(':') as [string, string];
    return [Number.parseInt(from, 16), String.fromCodePoint(...to.split(' ').map((codePoint) => Number.parseInt(codePoint, 16)))];
  }),
);

/**
 * Unicode full case folding (CaseFolding.txt, C + F): `STRASSE` and `straße` fold alike, as do
 * `ÉCOLE` and `école`, whatever the locale of the process or of the database.
 */
export function caseFold(text: string): string {
  let folded = '';
  for (const character of text) folded += FOLDS.get(character.codePointAt(0) as number) ?? character;
  return folded;
}

/**
 * The form under which two texts are the same name: Unicode's canonical caseless match
 * (NFD, full case folding, then NFC again to keep the key short). `Café` written precomposed or with
 * a combining accent, in any case, has one key.
 */
export function caselessKey(text: string): string {
  return caseFold(text.normalize('NFD')).normalize('NFC');
}

/** Control characters (general category Cc: C0, DEL and C1), U+0000 included. */
const CONTROL = /\p{Cc}/u;

export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}

/** Spaces, characters that render as nothing (U+200B, U+2060, soft hyphen…) and marks with no base. */
const INVISIBLE_ONLY = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Mn}\p{Me}]*$/u;

/** True when nothing in `text` would show on screen. */
export function isInvisible(text: string): boolean {
  return INVISIBLE_ONLY.test(text);
}

/**
 * Storable text: no U+0000, no unpaired surrogate. Written to read the same with the `u` flag (a
 * pair is one code point outside the surrogate range) and without it (other validators: a pair is
 * two code units, matched by the second branch), so the OpenAPI document can show it as it is.
 */
export const STORABLE_TEXT_PATTERN = '^(?:[^\\u0000\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])*$';
const STORABLE_TEXT = new RegExp(STORABLE_TEXT_PATTERN, 'u');

export function isStorableText(text: string): boolean {
  return STORABLE_TEXT.test(text);
}
