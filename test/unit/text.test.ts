import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/common/paths';
import { caseFold, caselessKey, hasControlCharacter, isInvisible } from '../../src/common/text';

describe('full case folding', () => {
  test.each([
    ['STRASSE', 'straße'],
    ['ÉCOLE', 'école'],
    ['ΣΊΣΥΦΟΣ', 'σίσυφος'],
    ['ΣΊΣΥΦΟΣ', 'σίσυφοσ'],
    ['ǅ', 'ǆ'],
    ['ﬁle', 'FILE'],
    ['K', 'k'],
    ['Ꭰ', 'ꭰ'],
  ])('when %s and %s are folded, then they are the same text', (a, b) => {
    expect(caseFold(a)).toBe(caseFold(b));
  });

  test.each([
    ['ı (dotless i)', 'ı', 'i'],
    ['a and b', 'a', 'b'],
  ])('when %s are folded, then they stay apart', (_case, a, b) => {
    expect(caseFold(a)).not.toBe(caseFold(b));
  });

  test('when a name is written precomposed or with a combining accent, in any case, then it has one key', () => {
    expect(new Set(['Café', 'Cafe\u0301', 'CAFÉ', 'CAFE\u0301', 'café']).size).toBe(5);
    expect(new Set(['Café', 'Cafe\u0301', 'CAFÉ', 'CAFE\u0301', 'café'].map(caselessKey)).size).toBe(1);
    expect(caselessKey('Cafe\u0301')).toBe('caf\u00e9');
  });

  test('when the committed table is compared with the Unicode data it was made from, then they agree', async () => {
    await expect(promisify(execFile)(process.execPath, [join(projectRoot(), 'tools', 'case-folding.mjs'), '--check'])).resolves.toBeDefined();
  });
});

describe('what a name may hold', () => {
  test.each(['0000', '0009', '000A', '001B', '007F', '0085', '009F'])('when it holds the control character U+%s, then that is found', (hex) => {
    expect(hasControlCharacter(`a${String.fromCodePoint(Number.parseInt(hex, 16))}b`)).toBe(true);
  });

  test.each(['Ä', '\u00a0', '\u200b', '😀'])('when it holds %j, then that is no control character', (character) => {
    expect(hasControlCharacter(`a${character}b`)).toBe(false);
  });

  test.each([['', ''], ['spaces', '   '], ['a zero-width space', '\u200b'], ['a word joiner and a soft hyphen', '\u2060\u00ad'], ['a lone combining accent', '\u0301'], ['a variation selector', '\ufe0f']])(
    'when it holds only %s, then nothing in it is visible',
    (_case, text) => {
      expect(isInvisible(text)).toBe(true);
    },
  );

  test.each(['a', '\u200bx', '😀', '·', 'ـ'])('when it holds %j, then something is visible', (text) => {
    expect(isInvisible(text)).toBe(false);
  });
});
