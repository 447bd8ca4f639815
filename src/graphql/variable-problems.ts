import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, visit, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { Problem, ProblemCode, RuleKind } from '../errors/domain-error';
import { toGraphQLProblem, type ArgumentPresentations, type GraphQLProblem } from './format-error';
import type { GraphQLModule } from './module';

/** Hubster's general code for a kind of problem, for arguments no domain rule covers (a missing `hubId`). */
const GENERAL_RULES: Readonly<Record<RuleKind, readonly [ProblemCode, string]>> = {
  required: [301, 'is required.'],
  type: [302, 'has the wrong type.'],
  text: [302, 'must be Unicode text without U+0000 or unpaired surrogates.'],
  range: [207, 'is out of range.'],
  blank: [207, 'has no visible character.'],
  unsupported: [206, 'has an unsupported value.'],
  conflict: [206, 'cannot be combined with the other arguments given.'],
};

const REQUIRED_FIELD = /Field "(\w+)" of required type "[^"]+" was not provided\.$/;
const UNKNOWN_FIELD = /Field "(\w+)" is not defined by type "[^"]+"\.$/;
const REQUIRED_VARIABLE = /^Variable "\$(\w+)" of required type "[^"]+" was not provided\.$/;
const VARIABLE = /^Variable "\$(\w+)" got invalid value /;
const AT_PATH = / at "([\w.[\]]+)"; /;

/** Where a variable is used: the first field argument it feeds. */
interface VariableUse {
  readonly field: string;
  readonly argument: string;
}

/** Which field argument each variable feeds, so `$s` reads as `pageSize` in a problem's path. */
function usesOfVariables(document: DocumentNode | undefined): Map<string, VariableUse> {
  const uses = new Map<string, VariableUse>();
  if (document === undefined) return uses;
  visit(document, {
    Field(field) {
      for (const argument of field.arguments ?? []) {
        if (argument.value.kind === Kind.VARIABLE && !uses.has(argument.value.name.value)) {
          uses.set(argument.value.name.value, { field: field.name.value, argument: argument.name.value });
        }
      }
    },
  });
  return uses;
}

function kindOf(message: string): RuleKind {
  if (REQUIRED_FIELD.test(message) || REQUIRED_VARIABLE.test(message)) return 'required';
  if (/does not exist in "\w+" enum\.$/.test(message)) return 'unsupported';
  if (/non 32-bit signed integer value/.test(message)) return 'range';
  return 'type';
}

/** The variable one of graphql-js's variable coercion messages is about, or undefined if it is not one. */
function variableOf(message: string): string | undefined {
  return REQUIRED_VARIABLE.exec(message)?.[1] ?? VARIABLE.exec(message)?.[1];
}

/** The problem behind one of graphql-js's variable coercion messages, in GraphQL's words. */
function problemOfVariableError(
  message: string,
  variable: string,
  uses: ReadonlyMap<string, VariableUse>,
  modules: readonly GraphQLModule[],
  presentations: ArgumentPresentations,
): GraphQLProblem {
  const segments = (AT_PATH.exec(message)?.[1] ?? variable).split('.');
  segments[0] = uses.get(variable)?.argument ?? variable;
  const unknown = UNKNOWN_FIELD.exec(message)?.[1];
  const missing = REQUIRED_FIELD.exec(message)?.[1];
  if (unknown !== undefined || missing !== undefined) segments.push((unknown ?? missing) as string);
  const path = segments.join('.');
  const name = segments[segments.length - 1] as string;

  let found: Problem;
  if (unknown !== undefined) {
    found = { property: name, code: 300, detail: 'is not a field of this input.' };
  } else {
    const kind = kindOf(message);
    const ruled = modules.map((module) => module.problemFor(name, kind)).find((candidate) => candidate !== undefined);
    const [code, detail] = GENERAL_RULES[kind];
    found = ruled ?? { property: name, code, detail };
  }
  return toGraphQLProblem(found, presentations, path);
}

/**
 * graphql-js rejects variables of the wrong shape before any resolver runs, one error per problem,
 * in its own words, and only what the type system saw. The contract wants invalid input as one
 * `BAD_USER_INPUT` error listing each problem with its Hubster code, exactly as REST would: where
 * a domain judges the argument (`GraphQLModule.argumentJudges`), its judgement of the raw value
 * lists the problems; graphql-js's own are kept for what no judgement covers (an unknown field).
 */
export function variableProblems(modules: readonly GraphQLModule[], presentations: ArgumentPresentations): ApolloServerPlugin {
  const judges = new Map(modules.flatMap((module) => Object.entries(module.argumentJudges ?? {})));
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, document, request }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (errors === undefined) return;
          const uses = usesOfVariables(document);
          const merged: GraphQLFormattedError[] = [];
          const problems: GraphQLProblem[] = [];
          const judged = new Set<string>();
          for (const error of errors) {
            const variable = error.extensions?.code === 'BAD_USER_INPUT' && error.path === undefined ? variableOf(error.message) : undefined;
            if (variable === undefined) {
              merged.push(error);
              continue;
            }
            const use = uses.get(variable);
            const judge = use === undefined ? undefined : judges.get(`${use.field}.${use.argument}`);
            if (judge !== undefined && !judged.has(variable)) {
              judged.add(variable);
              const raw = (request.variables ?? {})[variable];
              for (const found of judge(raw)) problems.push(toGraphQLProblem(found, presentations));
            }
            const own = problemOfVariableError(error.message, variable, uses, modules, presentations);
            if (!problems.some((problem) => problem.path === own.path)) problems.push(own);
          }
          if (problems.length === 0) return;
          const first = problems[0] as GraphQLProblem;
          response.body.singleResult.errors = [
            {
              message: problems.map((found) => found.message).join(' '),
              locations: errors[0]?.locations,
              extensions: { code: 'BAD_USER_INPUT', errorCode: first.errorCode, problems },
            },
            ...merged,
          ];
        },
      };
    },
  };
}
