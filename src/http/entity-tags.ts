/**
 * Entity tags of conditional requests (RFC 9110 sections 8.8.3 and 13.1): `If-Match` and
 * `If-None-Match` hold `*` or a list of tags, each `"opaque"` or weak `W/"opaque"`.
 */
export type EntityTagCondition = { readonly any: true } | { readonly any: false; readonly tags: readonly EntityTag[] };

export interface EntityTag {
  readonly opaque: string;
  readonly weak: boolean;
}

/** A strong entity tag for `opaque` (which must hold no `"`), as an `ETag` header value. */
export const strongEntityTag = (opaque: string): string => `"${opaque}"`;

/** etagc of RFC 9110: visible ASCII but `"`, and obs-text. */
const isTagCharacter = (code: number): boolean => code === 0x21 || (code >= 0x23 && code <= 0x7e) || (code >= 0x80 && code <= 0xff);

/**
 * The condition a header states, or undefined when the request has none. One pass over the text,
 * linear in its length. A value that is not a valid list matches no tag at all, which fails
 * `If-Match` (nothing changes) and never satisfies `If-None-Match` (the full answer is sent): on a
 * malformed condition, the safe reading either way.
 */
export function entityTagCondition(header: string | readonly string[] | undefined): EntityTagCondition | undefined {
  if (header === undefined) return undefined;
  const text = typeof header === 'string' ? header : header.join(', ');
  if (text.trim() === '*') return { any: true };
  const tags: EntityTag[] = [];
  let at = 0;
  const skipSeparators = () => {
    while (at < text.length && (text[at] === ' ' || text[at] === '\t' || text[at] === ',')) at++;
  };
  skipSeparators();
  while (at < text.length) {
    const weak = text.startsWith('W/', at);
    if (weak) at += 2;
    if (text[at] !== '"') return { any: false, tags: [] };
    const start = ++at;
    while (at < text.length && isTagCharacter(text.charCodeAt(at))) at++;
    if (text[at] !== '"') return { any: false, tags: [] };
    tags.push({ opaque: text.slice(start, at), weak });
    at++;
    // Between tags: optional whitespace, then a comma (or the end).
    while (at < text.length && (text[at] === ' ' || text[at] === '\t')) at++;
    if (at < text.length && text[at] !== ',') return { any: false, tags: [] };
    skipSeparators();
  }
  return { any: false, tags };
}

/** What a list's strong tags hold: the only values `If-Match` can match (none for `*`, which matches any). */
export function strongTagValues(condition: EntityTagCondition): readonly string[] {
  return condition.any ? [] : condition.tags.filter((tag) => !tag.weak).map((tag) => tag.opaque);
}

/** `If-Match`: strong comparison, so a weak tag never matches. */
export function strongMatches(condition: EntityTagCondition, opaque: string): boolean {
  return condition.any || strongTagValues(condition).includes(opaque);
}

/** `If-None-Match`: weak comparison, `W/"x"` and `"x"` are the same. */
export function weakMatches(condition: EntityTagCondition, opaque: string): boolean {
  return condition.any || condition.tags.some((tag) => tag.opaque === opaque);
}
