import { GraphQLError, type ValidationContext, type ASTVisitor } from 'graphql';

/**
 * Refuses operations of a type the schema has no root for (`subscription { … }` on a schema without
 * subscriptions). graphql-js 16 lets them through validation and fails at execution with an error
 * that carries no code, which reads as a server fault; graphql-js 17 makes this the validation rule
 * `KnownOperationTypesRule`, with the same message, and so does this one until then.
 */
export function KnownOperationTypesRule(context: ValidationContext): ASTVisitor {
  const schema = context.getSchema();
  return {
    OperationDefinition(node) {
      if (!schema.getRootType(node.operation)) {
        context.reportError(new GraphQLError(`The schema does not support ${node.operation} operations.`, { nodes: node }));
      }
      return false;
    },
  };
}
