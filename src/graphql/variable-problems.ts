import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, visit, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { Problem, ProblemCode } from '../errors/domain-error';
import { problem, type RuleKind } from '../hubs/hub.rules';
import { toGraphQLProblem, type GraphQLProblem } from './format-error';

/** GraphQL names whose domain property is called differently. */
const DOMAIN_PROPERTY: Readonly<Record<string, string>> = { status: 'statusId' };

const GENERAL_RULES: Readonly<Record<RuleKind, readonly [ProblemCode, string]>> = {
  required: [301, 'is required.'],
  type: [302, 'has the wrong type.'],
  text: [302, 'must be Unicode text without U+0000 or unpaired surrogates.'],
  range: [207, 'is out of range.'],
  blank: [207, 'has no visible character.'],
  unsupported: [206, 'has an unsupported value.'],
};

const REQUIRED_FIELD = /Field "(\w+)" of required type "[^"]+" was not provided\.$/;
const UNKNOWN_FIELD = /Field "(\w+)" is not defined by type "[^"]+"\.$/;
const REQUIRED_VARIABLE = /^Variable "\$(\w+)" of required type "[^"]+" was not provided\.$/;
const VARIABLE = /^Variable "\$(\w+)" got invalid value /;
const AT_PATH = / at "([\w.[\]]+)"; /;

/** Which argument each variable feeds, so `$s` reads as `pageSize` in a problem's path. */
function argumentOfVariables(document: DocumentNode | undefined): Map<string, string> {
  const argumentOf = new Map<string, string>();
  if (document === undefined) return argumentOf;
  visit(document, {
    Argument(node) {
      if (node.value.kind === Kind.VARIABLE && !argumentOf.has(node.value.name.value)) {
        argumentOf.set(node.value.name.value, node.name.value);
      }
    },
  });
  return argumentOf;
}

function kindOf(message: string): RuleKind {
  if (REQUIRED_FIELD.test(message) || REQUIRED_VARIABLE.test(message)) return 'required';
  if (/does not exist in "\w+" enum\.$/.test(message)) return 'unsupported';
  if (/non 32-bit signed integer value/.test(message)) return 'range';
  return 'type';
}

/** The Hubster problem behind one of graphql-js's variable coercion messages, or null if it is not one. */
export function problemOfVariableError(message: string, argumentOf: ReadonlyMap<string, string>): GraphQLProblem | null {
  const variable = REQUIRED_VARIABLE.exec(message)?.[1] ?? VARIABLE.exec(message)?.[1];
  if (variable === undefined) return null;
  const segments = (AT_PATH.exec(message)?.[1] ?? variable).split('.');
  segments[0] = argumentOf.get(variable) ?? variable;
  const unknown = UNKNOWN_FIELD.exec(message)?.[1];
  const missing = REQUIRED_FIELD.exec(message)?.[1];
  if (unknown !== undefined || missing !== undefined) segments.push((unknown ?? missing) as string);
  const path = segments.join('.');
  const label = segments[segments.length - 1] as string;

  const property = DOMAIN_PROPERTY[label] ?? label;
  let found: Problem;
  if (unknown !== undefined) {
    found = { property, code: 300, detail: 'is not a field of this input.' };
  } else {
    const kind = kindOf(message);
    try {
      found = problem(property, kind);
    } catch {
      // Arguments without a domain rule of that kind (a missing `hubId` or `input`) get Hubster's
      // general code for the kind.
      const [code, detail] = GENERAL_RULES[kind];
      found = { property, code, detail };
    }
  }
  return toGraphQLProblem(found, path);
}

/**
 * graphql-js rejects variables of the wrong shape before any resolver runs, one error per problem
 * and in its own words. The contract wants invalid input as one `BAD_USER_INPUT` error listing each
 * problem with its Hubster code, exactly like the problems the service finds: this plugin merges
 * those errors into that shape just before the response leaves.
 */
export const variableProblems: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, document }) {
        if (response.body.kind !== 'single') return;
        const errors = response.body.singleResult.errors;
        if (errors === undefined) return;
        const argumentOf = argumentOfVariables(document);
        const merged: GraphQLFormattedError[] = [];
        const problems: GraphQLProblem[] = [];
        for (const error of errors) {
          const found = error.extensions?.code === 'BAD_USER_INPUT' && error.path === undefined
            ? problemOfVariableError(error.message, argumentOf)
            : null;
          if (found === null) merged.push(error);
          else problems.push(found);
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
