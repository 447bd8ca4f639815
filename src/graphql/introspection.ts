import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

const INTROSPECTION_FIELDS = new Set(['__schema', '__type', '__typename']);

/**
 * True when every operation of `query` selects only `__schema`, `__type` and `__typename` at its
 * root: such a request may run without a token so that playgrounds can load the schema first
 * (CONTRACT.md section 2). Anything unparsable is not introspection.
 */
export function isIntrospectionOnly(query: unknown): boolean {
  if (typeof query !== 'string') return false;
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return false;
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  return (
    operations.length > 0 &&
    operations.every((operation) => onlyIntrospection(operation.selectionSet, fragments, new Set()))
  );
}

function onlyIntrospection(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visited: Set<string>,
): boolean {
  return selectionSet.selections.every((selection) => {
    switch (selection.kind) {
      case Kind.FIELD:
        return INTROSPECTION_FIELDS.has(selection.name.value);
      case Kind.INLINE_FRAGMENT:
        return onlyIntrospection(selection.selectionSet, fragments, visited);
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A cycle or unknown fragment is left for GraphQL validation to reject.
        if (fragment === undefined || visited.has(name)) return false;
        return onlyIntrospection(fragment.selectionSet, fragments, new Set(visited).add(name));
      }
    }
  });
}
