import 'reflect-metadata';
import { isEnumType, isInputObjectType, isIntrospectionType, isObjectType, isSpecifiedScalarType, type GraphQLSchema } from 'graphql';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { HubResolver } from '../../src/hubs/hub.resolver';

/**
 * Every type, field, argument, input field and enum value of the schema carries a description
 * (CONTRACT.md section 4), so a playground's docs pane explains the API on its own.
 */
function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const need = (what: string, description: string | null | undefined) => {
    if (!description?.trim()) missing.push(what);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    need(type.name, type.description);
    if (isObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        need(`${type.name}.${field.name}`, field.description);
        for (const argument of field.args) need(`${type.name}.${field.name}(${argument.name})`, argument.description);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) need(`${type.name}.${field.name}`, field.description);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) need(`${type.name}.${value.name}`, value.description);
    }
  }
  return missing;
}

test('when the schema is built, then every type, field, argument, input field and enum value has a description', async () => {
  const schema = await buildGatewaySchema([HubResolver]);
  expect(Object.keys(schema.getTypeMap()).length).toBeGreaterThan(8);
  expect(undescribed(schema)).toEqual([]);
});
