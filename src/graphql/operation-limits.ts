import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  getNamedType,
  getVariableValues,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  visit,
  type ASTNode,
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
} from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator, type ComplexityEstimatorArgs } from 'graphql-query-complexity';

/** What an operation asks of the gateway, fragments expanded (CONTRACT.md section 4). */
export interface OperationMeasure {
  /** Fields nested in the deepest path; `{ hubs { total } }` is 2 deep. */
  readonly depth: number;
  /** One per field, a list field's selection counted once per item it may hold. */
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

/**
 * The cost of a field that returns up to `size(args)` items: 1 for the field, plus its selection
 * once per item. A domain declares it on the field (type-graphql's `complexity` option), so any
 * list field it adds is costed by its own size argument without the kit knowing the field:
 *
 *     @Query(() => HubPage, { complexity: listCost((args) => args.pageSize) })
 *
 * `size` should clamp to what the field allows: a size the field refuses is the field's own error
 * to give, which the cost limit must not pre-empt.
 */
export function listCost(size: (args: Readonly<Record<string, unknown>>) => number): (options: ComplexityEstimatorArgs) => number {
  return ({ args, childComplexity }) => 1 + size(args) * childComplexity;
}

/**
 * graphql-query-complexity visits fragments where they are spread, without remembering them, and
 * stops after this many nodes: a document that needs more (fragments spreading fragments) costs
 * more than any limit allows anyway.
 */
const MAX_COST_NODES = 10_000;

/** The cost of an operation too large to visit: over any limit. */
const UNMEASURABLE = Number.POSITIVE_INFINITY;

/**
 * The operation's cost, as graphql-query-complexity computes it from the field metadata: each
 * field 1 (introspection fields too), list fields as `listCost` says, variables at their values,
 * fields left out by `@skip`/`@include` not counted. Undefined when the variables are not valid:
 * the operation will then not run (graphql-js refuses its variables with their own error).
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variables: RawVariables): number | undefined {
  try {
    return getComplexity({
      schema,
      query: document,
      operationName,
      variables: variables as Record<string, unknown>,
      estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
      maxQueryNodes: MAX_COST_NODES,
    });
  } catch (error) {
    if (error instanceof GraphQLError && /maximum allowed number of nodes/.test(error.message)) return UNMEASURABLE;
    return undefined;
  }
}

/** What the depth and alias walk needs besides the node at hand. */
interface Walk {
  readonly schema: GraphQLSchema;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /**
   * Each named fragment is measured once: spreading fragments that spread fragments would
   * otherwise take time exponential in the document's size, the very attack the limits are for.
   */
  readonly fragmentMeasures: Map<string, Shape>;
  readonly fragmentsEntered: Set<string>;
}

/** Depth and aliases of a selection. */
interface Shape {
  readonly depth: number;
  readonly aliases: number;
}

const FLAT: Shape = { depth: 0, aliases: 0 };

/**
 * Measures the operation that is about to run. Depth and aliases are our own walk, with every
 * field counted, introspection too, and every fragment expanded once: GraphQL Armor's max-depth
 * ignores introspection by default and has had bypasses through fragments it remembered with
 * the depth of their first use. The cost comes from graphql-query-complexity (`operationCost`).
 *
 * Both transports hand the same parsed document back for the same text, so the measure is kept
 * with the operation: depth and aliases once, the cost once per value of the variables it depends
 * on. graphql-query-complexity's walk was a tenth of the CPU of a GraphQL `hub` request.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: RawVariables = {},
): OperationMeasure {
  let known = measured.get(operation);
  if (known === undefined || known.schema !== schema) {
    known = { schema, shape: shapeOfOperation(schema, document, operation), costInputs: costInputsOf(schema, document), costs: new Map() };
    measured.set(operation, known);
  }
  return { ...known.shape, cost: costOf(known, document, operation, variables) ?? 0 };
}

interface Measured {
  readonly schema: GraphQLSchema;
  readonly shape: Shape;
  /** The variables the cost can depend on; none for most reads. */
  readonly costInputs: readonly string[];
  /** Cost by the JSON of those variables' coerced values. */
  readonly costs: Map<string, number | undefined>;
}

/** Keyed by the operation node, which lives as long as its document is cached. */
const measured = new WeakMap<OperationDefinitionNode, Measured>();

/** Costs remembered per operation: a page size per entry, so a handful in practice. */
const MAX_COSTS_PER_OPERATION = 64;

function costOf(known: Measured, document: DocumentNode, operation: OperationDefinitionNode, variables: RawVariables): number | undefined {
  const operationName = operation.name?.value;
  // Invalid variables: no cost, exactly as graphql-query-complexity's own coercion answers them.
  const { coerced, errors } = getVariableValues(known.schema, operation.variableDefinitions ?? [], variables as Record<string, unknown>);
  if (errors !== undefined) return undefined;
  const key = JSON.stringify(known.costInputs.map((name) => coerced[name] ?? null));
  if (known.costs.has(key)) return known.costs.get(key);
  const cost = operationCost(known.schema, document, operationName, variables);
  if (known.costs.size < MAX_COSTS_PER_OPERATION) known.costs.set(key, cost);
  return cost;
}

/**
 * Variables that can change the cost: those in the arguments of fields whose cost is computed
 * from their arguments (a list's size), anywhere in the document, and those of directives
 * (`@skip`, `@include`). Matched by field name on any type, which can only name more of them.
 */
function costInputsOf(schema: GraphQLSchema, document: DocumentNode): string[] {
  const sized = sizedFieldNames(schema);
  const names = new Set<string>();
  const collect = (node: ASTNode) =>
    visit(node, {
      Variable: (variable) => {
        names.add(variable.name.value);
      },
    });
  visit(document, {
    Field: (field) => {
      if (sized.has(field.name.value)) for (const argument of field.arguments ?? []) collect(argument);
    },
    Directive: (directive) => {
      collect(directive);
    },
  });
  return [...names].sort();
}

const sizedFields = new WeakMap<GraphQLSchema, ReadonlySet<string>>();

/** Names of the schema's fields whose `complexity` is a function of their arguments. */
function sizedFieldNames(schema: GraphQLSchema): ReadonlySet<string> {
  let names = sizedFields.get(schema);
  if (names === undefined) {
    const found = new Set<string>();
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) && !isInterfaceType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        if (typeof field.extensions.complexity === 'function') found.add(field.name);
      }
    }
    sizedFields.set(schema, (names = found));
  }
  return names;
}

function shapeOfOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): Shape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const walk: Walk = { schema, fragments, fragmentMeasures: new Map(), fragmentsEntered: new Set() };
  return shapeOfSelections(walk, operation.selectionSet, schema.getRootType(operation.operation) ?? undefined);
}

function shapeOfSelections(walk: Walk, selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined): Shape {
  let depth = 0;
  let aliases = 0;
  for (const selection of selectionSet.selections) {
    const shape = shapeOfSelection(walk, selection, parent);
    depth = Math.max(depth, shape.depth);
    aliases += shape.aliases;
  }
  return { depth, aliases };
}

function shapeOfSelection(walk: Walk, selection: SelectionNode, parent: GraphQLNamedType | undefined): Shape {
  switch (selection.kind) {
    case Kind.FIELD:
      return shapeOfField(walk, selection, parent);
    case Kind.INLINE_FRAGMENT: {
      const condition = selection.typeCondition;
      return shapeOfSelections(walk, selection.selectionSet, condition === undefined ? parent : typeNamed(walk, condition));
    }
    case Kind.FRAGMENT_SPREAD:
      return shapeOfFragment(walk, selection.name.value);
  }
}

function shapeOfFragment(walk: Walk, name: string): Shape {
  const known = walk.fragmentMeasures.get(name);
  if (known !== undefined) return known;
  const fragment = walk.fragments.get(name);
  // Unknown fragments and cycles never get past validation; measuring them as empty keeps the walk finite.
  if (fragment === undefined || walk.fragmentsEntered.has(name)) return FLAT;
  walk.fragmentsEntered.add(name);
  const shape = shapeOfSelections(walk, fragment.selectionSet, typeNamed(walk, fragment.typeCondition));
  walk.fragmentsEntered.delete(name);
  walk.fragmentMeasures.set(name, shape);
  return shape;
}

function typeNamed(walk: Walk, type: NamedTypeNode): GraphQLNamedType | undefined {
  return walk.schema.getType(type.name.value) ?? undefined;
}

function shapeOfField(walk: Walk, field: FieldNode, parent: GraphQLNamedType | undefined): Shape {
  const definition = fieldDefinition(parent, field.name.value);
  const returnType = definition === undefined ? undefined : getNamedType(definition.type);
  const inner = field.selectionSet === undefined ? FLAT : shapeOfSelections(walk, field.selectionSet, returnType);
  return { depth: 1 + inner.depth, aliases: (field.alias === undefined ? 0 : 1) + inner.aliases };
}

/**
 * Introspection fields (`__schema`, `__type`, `__typename`) are not in the schema's field maps:
 * they and everything under them are walked without a type, which depth and aliases do not need.
 */
function fieldDefinition(parent: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (!isObjectType(parent) && !isInterfaceType(parent)) return undefined;
  return parent.getFields()[name];
}

/** One sentence per limit the measure goes beyond; empty when the operation may run. */
export function limitViolations(measure: OperationMeasure, limits: OperationLimitOptions): string[] {
  const violations: string[] = [];
  if (measure.depth > limits.maxDepth) {
    violations.push(`The operation is ${measure.depth} levels deep; at most ${limits.maxDepth} are allowed.`);
  }
  if (measure.cost > limits.maxCost) {
    const cost = Number.isFinite(measure.cost) ? String(measure.cost) : 'more than can be measured';
    violations.push(
      `The operation costs ${cost}; at most ${limits.maxCost} is allowed ` +
        '(each field costs 1; a list field costs 1 plus its size times the cost of its selection).',
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
