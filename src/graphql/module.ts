import type { Problem, RuleKind } from '../errors/domain-error';
import type { GatewayContext } from './context';

/** How one property of a domain appears among a GraphQL operation's arguments. */
export interface ArgumentPresentation {
  /** Where it sits, e.g. `input.name`. */
  readonly path: string;
  /** How GraphQL callers know it, e.g. `status` for a domain's `statusId`. */
  readonly label: string;
  /** Replaces the domain's wording where GraphQL's differs (an enum instead of numbers). */
  readonly detail?: string;
}

/** A resolver class and the instance of it this app uses. */
export interface ResolverBinding {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own type for resolver classes
  readonly type: Function;
  readonly instance: object;
}

/**
 * A type other subgraphs of a federated graph may refer to (Apollo Federation's entity): its key
 * field, and how a reference (`{ __typename, <key>: … }`) becomes the object, for the caller of
 * the request; null when the caller may not see it.
 */
export interface EntityBinding {
  readonly key: string;
  resolveReference(reference: Readonly<Record<string, unknown>>, context: GatewayContext): Promise<unknown>;
}

/**
 * What a domain plugs into the GraphQL kit: its resolvers, and how its input problems read in
 * GraphQL. The kit itself knows no domain.
 */
export interface GraphQLModule {
  readonly resolvers: readonly ResolverBinding[];
  /** By domain property: where its problems point and how they name it. */
  readonly arguments: Readonly<Record<string, ArgumentPresentation>>;
  /**
   * The domain's problem when the argument (or input field) of this GraphQL name breaks a rule of
   * this kind; undefined when the domain has no such rule (the kit then uses a general one).
   */
  problemFor(name: string, kind: RuleKind): Problem | undefined;
  /**
   * Judges the raw value a client sent for an argument, by `field.argument` (e.g.
   * `createHub.input`), as the domain's rules judge it. When graphql-js refuses a variable, its
   * judgement lists every problem, so that GraphQL reports what REST would, not only what the
   * type system saw first.
   */
  readonly argumentJudges?: Readonly<Record<string, (value: unknown) => readonly Problem[]>>;
  /**
   * The streams of the domain's subscriptions, by topic (type-graphql's `topics`): each gets the
   * subscription's `topicId` and answers its events.
   */
  readonly topics?: Readonly<Record<string, (topicId: unknown) => AsyncIterable<unknown>>>;
  /** The domain's federation entities, by GraphQL type name; served only with GRAPHQL_FEDERATION. */
  readonly entities?: Readonly<Record<string, EntityBinding>>;
}
