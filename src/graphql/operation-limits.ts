import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  getNamedType,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type NamedTypeNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { HUB_LIMITS } from '../hubs/hub.rules';

/** What an operation asks of the gateway, fragments expanded (CONTRACT.md section 4). */
export interface OperationMeasure {
  /** Fields nested in the deepest path; `{ hubs { total } }` is 2 deep. */
  readonly depth: number;
  /** One per field, a page's selection counted once per hub it may hold. */
  readonly cost: number;
  /** Aliased fields. */
  readonly aliases: number;
}

/** The most an operation may ask for; anything above is refused before it runs. */
export interface OperationLimitOptions {
  readonly maxDepth: number;
  readonly maxCost: number;
  readonly maxAliases: number;
}

/** Request variables as the client sent them (not yet coerced). */
export type RawVariables = Readonly<Record<string, unknown>>;

/** At most this many aliased fields in one operation (CONTRACT.md section 4); not configurable. */
export const MAX_ALIASES = 100;

/** A field returning this type yields up to `pageSize` hubs, so its selection costs that many times. */
const PAGE_TYPE = 'HubPage';
const PAGE_SIZE_ARGUMENT = 'pageSize';

const NOTHING: OperationMeasure = { depth: 0, cost: 0, aliases: 0 };

/** What the measuring walk needs besides the node at hand. */
interface Walk {
  readonly schema: GraphQLSchema;
  readonly operation: OperationDefinitionNode;
  readonly variables: RawVariables;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /**
   * Each named fragment is measured once: spreading fragments that spread fragments would
   * otherwise take time exponential in the document's size, the very attack the limits are for.
   */
  readonly fragmentMeasures: Map<string, OperationMeasure>;
  readonly fragmentsEntered: Set<string>;
}

/**
 * Measures the operation that is about to run. Every field counts, introspection fields too;
 * `@skip`/`@include` are ignored, so an operation is measured as if everything in it ran.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: RawVariables = {},
): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const walk: Walk = { schema, operation, variables, fragments, fragmentMeasures: new Map(), fragmentsEntered: new Set() };
  const root = schema.getRootType(operation.operation) ?? undefined;
  return measureSelections(walk, operation.selectionSet, root);
}

function measureSelections(
  walk: Walk,
  selectionSet: SelectionSetNode,
  parent: GraphQLNamedType | undefined,
): OperationMeasure {
  return selectionSet.selections
    .map((selection) => measureSelection(walk, selection, parent))
    .reduce(
      (total, next) => ({
        depth: Math.max(total.depth, next.depth),
        cost: total.cost + next.cost,
        aliases: total.aliases + next.aliases,
      }),
      NOTHING,
    );
}

function measureSelection(walk: Walk, selection: SelectionNode, parent: GraphQLNamedType | undefined): OperationMeasure {
  switch (selection.kind) {
    case Kind.FIELD:
      return measureField(walk, selection, parent);
    case Kind.INLINE_FRAGMENT: {
      const condition = selection.typeCondition;
      return measureSelections(walk, selection.selectionSet, condition === undefined ? parent : typeNamed(walk, condition));
    }
    case Kind.FRAGMENT_SPREAD:
      return measureFragment(walk, selection.name.value);
  }
}

function measureFragment(walk: Walk, name: string): OperationMeasure {
  const known = walk.fragmentMeasures.get(name);
  if (known !== undefined) return known;
  const fragment = walk.fragments.get(name);
  // Unknown fragments and cycles never get past validation; measuring them as empty keeps the walk finite.
  if (fragment === undefined || walk.fragmentsEntered.has(name)) return NOTHING;
  walk.fragmentsEntered.add(name);
  const measure = measureSelections(walk, fragment.selectionSet, typeNamed(walk, fragment.typeCondition));
  walk.fragmentsEntered.delete(name);
  walk.fragmentMeasures.set(name, measure);
  return measure;
}

function typeNamed(walk: Walk, type: NamedTypeNode): GraphQLNamedType | undefined {
  return walk.schema.getType(type.name.value) ?? undefined;
}

function measureField(walk: Walk, field: FieldNode, parent: GraphQLNamedType | undefined): OperationMeasure {
  const definition = fieldDefinition(parent, field.name.value);
  const returnType = definition === undefined ? undefined : getNamedType(definition.type);
  const inner = field.selectionSet === undefined ? NOTHING : measureSelections(walk, field.selectionSet, returnType);
  const multiplier = definition !== undefined && returnType?.name === PAGE_TYPE ? pageSizeOf(walk, field, definition) : 1;
  return {
    depth: 1 + inner.depth,
    cost: 1 + multiplier * inner.cost,
    aliases: (field.alias === undefined ? 0 : 1) + inner.aliases,
  };
}

/**
 * Introspection fields (`__schema`, `__type`, `__typename`) are not in the schema's field maps:
 * they and everything under them are measured without a type, which is enough as none is a page.
 */
function fieldDefinition(parent: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (!isObjectType(parent) && !isInterfaceType(parent)) return undefined;
  return parent.getFields()[name];
}

/**
 * The page size the field will run with, clamped to 1-100: a size outside that range is refused
 * by the service with its own `BAD_USER_INPUT`, which the cost check must not pre-empt.
 */
function pageSizeOf(walk: Walk, field: FieldNode, definition: GraphQLField<unknown, unknown>): number {
  const argument = field.arguments?.find((candidate) => candidate.name.value === PAGE_SIZE_ARGUMENT);
  const requested = argument === undefined ? undefined : valueOf(walk, argument.value);
  const fallback = definition.args.find((candidate) => candidate.name === PAGE_SIZE_ARGUMENT)?.defaultValue;
  const size = requested ?? (Number.isInteger(fallback) ? (fallback as number) : HUB_LIMITS.pageSizeDefault);
  return Math.min(Math.max(size, 1), HUB_LIMITS.pageSizeMax);
}

/** An integer literal, or a variable's value from the request, else from its default; otherwise unknown. */
function valueOf(walk: Walk, value: ValueNode): number | undefined {
  if (value.kind !== Kind.VARIABLE) return integerLiteral(value);
  const name = value.name.value;
  const sent = Object.hasOwn(walk.variables, name) ? walk.variables[name] : undefined;
  if (Number.isInteger(sent)) return sent as number;
  const declared = walk.operation.variableDefinitions?.find((definition) => definition.variable.name.value === name);
  return integerLiteral(declared?.defaultValue);
}

function integerLiteral(value: ValueNode | undefined): number | undefined {
  return value?.kind === Kind.INT ? Number(value.value) : undefined;
}

/** One sentence per limit the measure goes beyond; empty when the operation may run. */
export function limitViolations(measure: OperationMeasure, limits: OperationLimitOptions): string[] {
  const violations: string[] = [];
  if (measure.depth > limits.maxDepth) {
    violations.push(`The operation is ${measure.depth} levels deep; at most ${limits.maxDepth} are allowed.`);
  }
  if (measure.cost > limits.maxCost) {
    violations.push(
      `The operation costs ${measure.cost}; at most ${limits.maxCost} is allowed ` +
        '(each field costs 1; a page of hubs costs 1 plus pageSize times the cost of its selection).',
    );
  }
  if (measure.aliases > limits.maxAliases) {
    violations.push(`The operation has ${measure.aliases} aliases; at most ${limits.maxAliases} are allowed.`);
  }
  return violations;
}

/**
 * Refuses operations that are too deep, too costly or too aliased (CONTRACT.md section 4). It runs
 * once the operation is validated and its variables known, and before any resolver: a refusal is
 * a validation error answered with HTTP 400 (Apollo takes `extensions.http` off the response).
 */
export function operationLimits(limits: OperationLimitOptions): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          // Without an operation to run, Apollo answers its own error; there is nothing to measure.
          if (operation === undefined) return;
          const violations = limitViolations(measureOperation(schema, document, operation, request.variables ?? {}), limits);
          if (violations.length === 0) return;
          throw new GraphQLError(violations.join(' '), {
            extensions: { code: ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED, http: { status: 400 } },
          });
        },
      };
    },
  };
}
