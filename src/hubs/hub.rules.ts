import { isGuid } from '../common/guid';
import { caselessKey, hasControlCharacter, isInvisible, isStorableText } from '../common/text';
import { InvalidInputError, type Problem, type ProblemCode, type RuleKind } from '../errors/domain-error';
import { decodeCursor, type HubOrder, type HubOrderField, type Position, type SortDirection } from './hub.cursor';
import { HubStatusId } from './hub.entity';

export type { RuleKind } from '../errors/domain-error';

/**
 * The contract's rules for hub properties and paging (CONTRACT.md section 3): the one judge of hub
 * input, for every transport. REST's JSON schemas only describe and read text; GraphQL's types
 * only shape. Each problem carries the Hubster code it reports.
 */
export const HUB_LIMITS = {
  nameMaxLength: 100,
  descriptionMaxLength: 1000,
  closeDormantConversationMax: 3650,
  pageSizeMax: 100,
  pageSizeDefault: 50,
  pageNumberDefault: 0,
  /** Ids one batch lookup may ask for. */
  hubIdsMax: 100,
  /** `first`/`last` of a connection page. */
  connectionSizeMax: 100,
  connectionSizeDefault: 50,
  nameContainsMaxLength: 100,
} as const;

/** What a caller may send for a hub; anything may arrive, so nothing is trusted to be typed. */
export interface HubInput {
  readonly name?: unknown;
  readonly description?: unknown;
  readonly closeDormantConversation?: unknown;
  readonly statusId?: unknown;
}

/** A new hub's properties once every rule holds: the name trimmed and in NFC, defaults applied. */
export interface NewHubProperties {
  readonly name: string;
  readonly description: string;
  readonly closeDormantConversation: number;
  readonly statusId: HubStatusId;
}

export type HubChanges = Partial<NewHubProperties>;

export interface PageRequest {
  readonly pageNumber: number;
  readonly pageSize: number;
}

/** What a caller may ask of a connection of hubs; nothing is trusted to be typed. */
export interface ConnectionArgs {
  readonly first?: unknown;
  readonly after?: unknown;
  readonly last?: unknown;
  readonly before?: unknown;
  readonly filter?: { readonly statusId?: unknown; readonly nameContains?: unknown } | null;
  readonly order?: { readonly field?: unknown; readonly direction?: unknown } | null;
}

/** Which hubs a connection holds; absent parts do not filter. */
export interface HubFilter {
  readonly statusId?: HubStatusId;
  /** Matched as a literal, case-insensitive substring of the name. */
  readonly nameContains?: string;
}

/** One page of a connection, once every rule holds. */
export interface ConnectionRequest {
  readonly order: HubOrder;
  readonly filter: HubFilter;
  /** How many hubs the page holds at most. */
  readonly size: number;
  /** `last`/`before`: the page ends where the cursor is (or at the end of the order). */
  readonly backward: boolean;
  /** Absent: the page starts at the beginning (forward) or the end (backward) of the order. */
  readonly cursor?: Position;
}

type RuleTable = Readonly<Record<string, Partial<Readonly<Record<RuleKind, readonly [ProblemCode, string]>>>>>;

const TEXT: readonly [ProblemCode, string] = [302, 'must be Unicode text without U+0000 or unpaired surrogates.'];
/** A name is a label people read: no control character at all (tabs and line breaks included). */
const NAME_TEXT: readonly [ProblemCode, string] = [302, 'must be Unicode text without control characters or unpaired surrogates.'];

const SIZE_RANGE = `must be between 1 and ${HUB_LIMITS.connectionSizeMax}.`;
const ONE_DIRECTION = "cannot be combined with the other direction's arguments: page forward with first and after, or backward with last and before.";
const CURSOR = "must be a cursor this connection gave (an edge's cursor, startCursor or endCursor), unchanged.";
const OTHER_ORDER = 'was made for another orderBy: start again without a cursor to page in this order.';

/** The code and text of every problem, for both transports. */
const RULES: RuleTable = {
  name: {
    required: [301, 'is required.'],
    type: [302, 'must be a string.'],
    text: NAME_TEXT,
    range: [207, `must be between 1 and ${HUB_LIMITS.nameMaxLength} characters long.`],
    blank: [207, 'must have at least one visible character.'],
  },
  description: {
    required: [301, 'is required.'],
    type: [302, 'must be a string.'],
    text: TEXT,
    range: [207, `must be at most ${HUB_LIMITS.descriptionMaxLength} characters long.`],
  },
  closeDormantConversation: {
    type: [302, 'must be an integer.'],
    range: [207, `must be between 0 and ${HUB_LIMITS.closeDormantConversationMax}.`],
  },
  statusId: {
    type: [302, 'must be an integer.'],
    unsupported: [206, `must be ${HubStatusId.Active} (Active) or ${HubStatusId.Paused} (Paused).`],
  },
  pageNumber: { type: [210, 'must be an integer.'], range: [209, 'must be 0 or greater.'] },
  pageSize: { type: [210, 'must be an integer.'], range: [207, `must be between 1 and ${HUB_LIMITS.pageSizeMax}.`] },
  hubId: { type: [305, 'must be a GUID.'] },
  hubIds: { type: [305, 'must hold only GUIDs.'], range: [207, `must hold between 1 and ${HUB_LIMITS.hubIdsMax} ids.`] },
  first: { type: [210, 'must be an integer.'], range: [207, SIZE_RANGE], conflict: [206, ONE_DIRECTION] },
  last: { type: [210, 'must be an integer.'], range: [207, SIZE_RANGE], conflict: [206, ONE_DIRECTION] },
  after: { type: [302, CURSOR], unsupported: [206, OTHER_ORDER], conflict: [206, ONE_DIRECTION] },
  before: { type: [302, CURSOR], unsupported: [206, OTHER_ORDER], conflict: [206, ONE_DIRECTION] },
  nameContains: {
    type: [302, 'must be a string.'],
    text: TEXT,
    range: [207, `must be between 1 and ${HUB_LIMITS.nameContainsMaxLength} characters long.`],
  },
  orderBy: { unsupported: [206, 'must order by CREATED_AT, UPDATED_AT or NAME, ASC or DESC.'] },
};

/** The problem a property has when it breaks a rule of the given kind. */
export function problem(property: string, kind: RuleKind): Problem {
  const rule = RULES[property]?.[kind];
  if (rule === undefined) throw new Error(`No ${kind} rule for '${property}'`);
  return { property, code: rule[0], detail: rule[1] };
}

/** The domain's problem for a property and kind, or undefined when the property has no such rule. */
export function problemIfRuled(property: string, kind: RuleKind): Problem | undefined {
  return RULES[property]?.[kind] === undefined ? undefined : problem(property, kind);
}

/** The body as a whole is not an object of properties. */
const NOT_AN_OBJECT: Problem = { property: '', code: 300, detail: 'The request body must be a JSON object.' };

/** Characters are Unicode code points (CONTRACT.md section 3), so an emoji counts once. */
function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

export { STORABLE_TEXT_PATTERN } from '../common/text';

/**
 * The first rule a value breaks, in the order a caller fixes them: the type, then the text
 * (PostgreSQL text cannot hold U+0000, and UTF-8 cannot hold an unpaired surrogate: the driver
 * would silently store U+FFFD), then the length, then (for names) something visible.
 */
function brokenTextRule(value: unknown, min: number, max: number, options: { name: boolean }): RuleKind | undefined {
  if (typeof value !== 'string') return 'type';
  if (!isStorableText(value) || (options.name && hasControlCharacter(value))) return 'text';
  const length = codePointLength(value);
  if (length < min || length > max) return 'range';
  // The empty name is already out of range.
  if (options.name && isInvisible(value)) return 'blank';
  return undefined;
}

function brokenIntegerRule(value: unknown, min: number, max: number): RuleKind | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return 'type';
  return value < min || value > max ? 'range' : undefined;
}

function brokenStatusRule(value: unknown): RuleKind | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return 'type';
  return value === HubStatusId.Active || value === HubStatusId.Paused ? undefined : 'unsupported';
}

/** The properties as the rules judge them: the name trimmed and in NFC (the rules apply to what is stored). */
interface Normalised {
  readonly name: unknown;
  readonly description: unknown;
  readonly closeDormantConversation: unknown;
  readonly statusId: unknown;
}

function normalised(input: HubInput): Normalised {
  return {
    name: typeof input.name === 'string' ? input.name.trim().normalize('NFC') : input.name,
    description: input.description,
    // null means "stays open", exactly like 0 (the seed page).
    closeDormantConversation: input.closeDormantConversation === null ? 0 : input.closeDormantConversation,
    statusId: input.statusId,
  };
}

/**
 * One problem per property that breaks a rule, in the order properties are documented; `required`
 * names the properties that must be present.
 */
function propertyProblems(hub: Normalised, required: readonly (keyof Normalised)[] = []): Problem[] {
  const brokenRule = (property: keyof Normalised, rule: (value: unknown) => RuleKind | undefined): RuleKind | undefined => {
    if (hub[property] !== undefined) return rule(hub[property]);
    return required.includes(property) ? 'required' : undefined;
  };
  const broken: [string, RuleKind | undefined][] = [
    ['name', brokenRule('name', (value) => brokenTextRule(value, 1, HUB_LIMITS.nameMaxLength, { name: true }))],
    ['description', brokenRule('description', (value) => brokenTextRule(value, 0, HUB_LIMITS.descriptionMaxLength, { name: false }))],
    ['closeDormantConversation', brokenRule('closeDormantConversation', (value) => brokenIntegerRule(value, 0, HUB_LIMITS.closeDormantConversationMax))],
    ['statusId', brokenRule('statusId', brokenStatusRule)],
  ];
  return broken.filter((entry): entry is [string, RuleKind] => entry[1] !== undefined).map(([property, kind]) => problem(property, kind));
}

function throwIfAny(problems: Problem[]): void {
  if (problems.length > 0) throw new InvalidInputError(problems as [Problem, ...Problem[]]);
}

/** The body must be an object of properties; REST may send anything, GraphQL always sends one. */
function asHubInput(input: unknown): HubInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InvalidInputError([NOT_AN_OBJECT]);
  return input as HubInput;
}

/** Checks a create; name and description are required. */
export function checkNewHub(body: unknown): NewHubProperties {
  const hub = normalised(asHubInput(body));
  throwIfAny(propertyProblems(hub, ['name', 'description']));
  return {
    name: hub.name as string,
    description: hub.description as string,
    closeDormantConversation: (hub.closeDormantConversation ?? 0) as number,
    statusId: (hub.statusId ?? HubStatusId.Active) as HubStatusId,
  };
}

/** Checks an update: only the properties present are checked, and only they change. */
export function checkHubChanges(body: unknown): HubChanges {
  const hub = normalised(asHubInput(body));
  throwIfAny(propertyProblems(hub));
  const changes: { -readonly [K in keyof HubChanges]: HubChanges[K] } = {};
  if (hub.name !== undefined) changes.name = hub.name as string;
  if (hub.description !== undefined) changes.description = hub.description as string;
  if (hub.closeDormantConversation !== undefined) changes.closeDormantConversation = hub.closeDormantConversation as number;
  if (hub.statusId !== undefined) changes.statusId = hub.statusId as HubStatusId;
  return changes;
}

export function checkPageRequest(input: { pageNumber?: unknown; pageSize?: unknown }): PageRequest {
  const pageNumber = input.pageNumber ?? HUB_LIMITS.pageNumberDefault;
  const pageSize = input.pageSize ?? HUB_LIMITS.pageSizeDefault;
  const broken: [string, RuleKind | undefined][] = [
    ['pageNumber', brokenIntegerRule(pageNumber, 0, Number.POSITIVE_INFINITY)],
    ['pageSize', brokenIntegerRule(pageSize, 1, HUB_LIMITS.pageSizeMax)],
  ];
  throwIfAny(broken.filter((entry): entry is [string, RuleKind] => entry[1] !== undefined).map(([property, kind]) => problem(property, kind)));
  return { pageNumber: pageNumber as number, pageSize: pageSize as number };
}

export function checkHubId(hubId: unknown): string {
  if (!isGuid(hubId)) throw new InvalidInputError([problem('hubId', 'type')]);
  return hubId.toLowerCase();
}

/** The ids of a batch lookup: 1 to `hubIdsMax` GUIDs, in lower case, in the order asked (repeats kept). */
export function checkHubIds(hubIds: unknown): string[] {
  if (!Array.isArray(hubIds)) throw new InvalidInputError([problem('hubIds', 'type')]);
  if (hubIds.length < 1 || hubIds.length > HUB_LIMITS.hubIdsMax) throw new InvalidInputError([problem('hubIds', 'range')]);
  if (!hubIds.every(isGuid)) throw new InvalidInputError([problem('hubIds', 'type')]);
  return hubIds.map((hubId: string) => hubId.toLowerCase());
}

const ORDER_FIELDS: readonly HubOrderField[] = ['createdAt', 'updatedAt', 'name'];
const DIRECTIONS: readonly SortDirection[] = ['asc', 'desc'];

/**
 * Checks a connection page (CONTRACT.md section 4): `first` with `after` pages forward, `last`
 * with `before` backward, never both; neither is `first: 50`. Every problem is listed.
 */
export function checkConnectionRequest(args: ConnectionArgs): ConnectionRequest {
  const given = (value: unknown) => value !== undefined && value !== null;
  const problems: Problem[] = [];
  const order = {
    field: args.order?.field ?? 'createdAt',
    direction: args.order?.direction ?? 'asc',
  } as HubOrder;
  const orderKnown = ORDER_FIELDS.includes(order.field) && DIRECTIONS.includes(order.direction);
  if (!orderKnown) problems.push(problem('orderBy', 'unsupported'));

  const backward = given(args.last) || given(args.before);
  if (given(args.first) && given(args.last)) problems.push(problem('last', 'conflict'));
  if (given(args.first) && given(args.before)) problems.push(problem('before', 'conflict'));
  if (given(args.last) && given(args.after)) problems.push(problem('after', 'conflict'));

  const sizeProperty = backward ? 'last' : 'first';
  const size = (backward ? args.last : args.first) ?? HUB_LIMITS.connectionSizeDefault;
  const brokenSize = brokenIntegerRule(size, 1, HUB_LIMITS.connectionSizeMax);
  if (brokenSize !== undefined) problems.push(problem(sizeProperty, brokenSize));

  const cursorProperty = backward ? 'before' : 'after';
  const cursorArgument = backward ? args.before : args.after;
  let cursor: Position | undefined;
  // A cursor is read in its order: of an order that is none, it cannot be judged.
  if (given(cursorArgument) && orderKnown) {
    const decoded = decodeCursor(cursorArgument, order);
    if (decoded === 'malformed') problems.push(problem(cursorProperty, 'type'));
    else if (decoded === 'otherOrder') problems.push(problem(cursorProperty, 'unsupported'));
    else cursor = decoded;
  }

  const filter: { statusId?: HubStatusId; nameContains?: string } = {};
  const statusId = args.filter?.statusId;
  if (given(statusId)) {
    const broken = brokenStatusRule(statusId);
    if (broken === undefined) filter.statusId = statusId as HubStatusId;
    else problems.push(problem('statusId', broken));
  }
  const nameContains = args.filter?.nameContains;
  if (given(nameContains)) {
    const broken = brokenTextRule(nameContains, 1, HUB_LIMITS.nameContainsMaxLength, { name: false });
    if (broken === undefined) filter.nameContains = nameContains as string;
    else problems.push(problem('nameContains', broken));
  }

  // One problem per argument: the first that a caller has to fix.
  throwIfAny(problems.filter((found, i) => problems.findIndex((other) => other.property === found.property) === i));
  return { order, filter, size: size as number, backward, ...(cursor === undefined ? {} : { cursor }) };
}

/**
 * What makes two names of a tenant the same name (CONTRACT.md section 3): NFC with full case
 * folding, computed here rather than by the database, whose `lower()` depends on its locale.
 */
export function hubNameKey(name: string): string {
  return caselessKey(name);
}
