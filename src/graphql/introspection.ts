import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

const INTROSPECTION_FIELDS = new Set(['__schema', '__type', '__typename']);

/**
 * The most tokens an anonymous document may have: five times graphql-js's full introspection query
 * (about 185 tokens with every option). It bounds what graphql-js's validation costs for requests
 * nobody has authenticated (its overlapping-fields rule is quadratic in the worst case).
 */
export const MAX_ANONYMOUS_TOKENS = 1000;

/** Deeper than this is not introspection that any playground sends (the standard query is 15 deep). */
const MAX_ANONYMOUS_DEPTH = 32;

/**
 * True when every operation of `query` selects only `__schema`, `__type` and `__typename` at its
 * root: such a request may run without a token so that playgrounds can load the schema first
 * (CONTRACT.md section 2). Anything unparsable, too long or too deep is not introspection.
 *
 * It runs before anyone is authenticated, so it must cost time linear in the text and bounded:
 * the parser stops after `MAX_ANONYMOUS_TOKENS`, and each fragment's verdict is worked out once,
 * however often it is spread (spreading fragments that spread fragments twice would otherwise
 * double the work at every level).
 */
export function isIntrospectionOnly(query: unknown): boolean {
  return judgeIntrospection(query).introspectionOnly;
}

/**
 * The verdict of `isIntrospectionOnly` with the number of selections it looked at on the way: the
 * measure of its work that tests hold against the size of the text (a count, unlike a clock, does
 * not depend on the machine or on a garbage collection happening to run).
 */
export function judgeIntrospection(query: unknown): { introspectionOnly: boolean; steps: number } {
  if (typeof query !== 'string') return { introspectionOnly: false, steps: 0 };
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true, maxTokens: MAX_ANONYMOUS_TOKENS });
  } catch {
    return { introspectionOnly: false, steps: 0 };
  }
  const judge = new IntrospectionJudge(document);
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const introspectionOnly = operations.length > 0 && operations.every((operation) => judge.rootSelectsOnlyIntrospection(operation.selectionSet));
  return { introspectionOnly, steps: judge.steps };
}

/** Verdicts of one document, each fragment judged once. */
class IntrospectionJudge {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  /** true/false once judged; `null` while being judged, so that a cycle reads as "not introspection". */
  private readonly verdicts = new Map<string, boolean | null>();
  /** Selections looked at so far. */
  steps = 0;

  constructor(document: DocumentNode) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
    }
  }

  rootSelectsOnlyIntrospection(selectionSet: SelectionSetNode): boolean {
    return this.selectsOnlyIntrospection(selectionSet, 0);
  }

  /**
   * Only the root's fields are checked against the introspection names; below them everything is
   * schema metadata, so only the depth is bounded there.
   */
  private selectsOnlyIntrospection(selectionSet: SelectionSetNode, depth: number): boolean {
    if (depth > MAX_ANONYMOUS_DEPTH) return false;
    return selectionSet.selections.every((selection) => {
      this.steps += 1;
      switch (selection.kind) {
        case Kind.FIELD:
          return INTROSPECTION_FIELDS.has(selection.name.value) && this.withinDepth(selection.selectionSet, depth + 1);
        case Kind.INLINE_FRAGMENT:
          return this.selectsOnlyIntrospection(selection.selectionSet, depth + 1);
        case Kind.FRAGMENT_SPREAD:
          return this.fragmentSelectsOnlyIntrospection(selection.name.value);
      }
    });
  }

  private fragmentSelectsOnlyIntrospection(name: string): boolean {
    const known = this.verdicts.get(name);
    // A cycle (null: still being judged) or an unknown fragment is left for validation to refuse.
    if (known !== undefined) return known === true;
    const fragment = this.fragments.get(name);
    if (fragment === undefined) return false;
    this.verdicts.set(name, null);
    const verdict = this.selectsOnlyIntrospection(fragment.selectionSet, 0);
    this.verdicts.set(name, verdict);
    return verdict;
  }

  /**
   * Nesting below an introspection field, without following fragment spreads (their own nesting is
   * bounded by the token limit; the full check of depth runs later, once the caller is known).
   */
  private withinDepth(selectionSet: SelectionSetNode | undefined, depth: number): boolean {
    if (selectionSet === undefined) return true;
    if (depth > MAX_ANONYMOUS_DEPTH) return false;
    return selectionSet.selections.every((selection) => {
      this.steps += 1;
      return selection.kind === Kind.FRAGMENT_SPREAD || this.withinDepth(selection.selectionSet, depth + 1);
    });
  }
}
