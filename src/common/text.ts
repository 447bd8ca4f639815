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
