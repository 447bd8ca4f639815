import { InvalidInputError, type Problem } from '../errors/domain-error';
import type { ArgumentPresentation, GraphQLModule } from '../graphql/module';
import { HUB_CHANGES_TOPIC, HubConnectionResolver, HubResolver, toHubInput } from './hub.resolver';
import type { HubChangeTopic } from './hub.changes';
import { checkHubChanges, checkNewHub, problemIfRuled } from './hub.rules';
import type { HubService } from './hub.service';

/** Where each hub property sits among GraphQL's arguments, and how GraphQL users know it. */
const ARGUMENTS: Readonly<Record<string, ArgumentPresentation>> = {
  name: { path: 'input.name', label: 'name' },
  description: { path: 'input.description', label: 'description' },
  closeDormantConversation: { path: 'input.closeDormantConversation', label: 'closeDormantConversation' },
  // GraphQL's status is an enum: its problems name the enum values, not Hubster's numbers.
  statusId: { path: 'input.status', label: 'status', detail: 'must be ACTIVE or PAUSED.' },
  hubIds: { path: 'hubIds', label: 'hubIds' },
  first: { path: 'first', label: 'first' },
  after: { path: 'after', label: 'after' },
  last: { path: 'last', label: 'last' },
  before: { path: 'before', label: 'before' },
  nameContains: { path: 'filter.nameContains', label: 'nameContains' },
  orderBy: { path: 'orderBy', label: 'orderBy' },
};

/** GraphQL names whose hub property is called differently. */
const PROPERTY_OF: Readonly<Record<string, string>> = { status: 'statusId' };

/** The problems a check finds, none when it passes. */
function problemsOf(check: () => unknown): readonly Problem[] {
  try {
    check();
    return [];
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An input that is no object at all is graphql-js's own problem to report (a wrong type). */
const judge = (check: (input: unknown) => unknown) => (value: unknown) => (isObject(value) ? problemsOf(() => check(toHubInput(value))) : []);

/** Hubs as the GraphQL kit serves them. */
export function hubGraphQLModule(service: HubService): GraphQLModule {
  const hubs = new HubResolver(service);
  return {
    resolvers: [
      { type: HubResolver, instance: hubs },
      { type: HubConnectionResolver, instance: new HubConnectionResolver() },
    ],
    arguments: ARGUMENTS,
    problemFor: (name, kind) => problemIfRuled(PROPERTY_OF[name] ?? name, kind),
    argumentJudges: { 'createHub.input': judge(checkNewHub), 'updateHub.input': judge(checkHubChanges) },
    topics: { [HUB_CHANGES_TOPIC]: (topicId) => service.watch(topicId as HubChangeTopic) },
    // Through the request's reader, so the references of one `_entities` call are one statement.
    entities: { Hub: { key: 'hubId', resolveReference: (reference, context) => hubs.hubByReference(reference, context) } },
  };
}
