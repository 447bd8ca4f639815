import { isGuid } from '../common/guid';
import { caselessKey, hasControlCharacter, isInvisible } from '../common/text';
import { InvalidInputError, type Problem, type ProblemCode, type RuleKind } from '../errors/domain-error';
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

type RuleTable = Readonly<Record<string, Partial<Readonly<Record<RuleKind, readonly [ProblemCode, string]>>>>>;

const TEXT: readonly [ProblemCode, string] = [302, 'must be Unicode text without U+0000 or unpaired surrogates.'];
/** A name is a label people read: no control character at all (tabs and line breaks included). */
const NAME_TEXT: readonly [ProblemCode, string] = [302, 'must be Unicode text without control characters or unpaired surrogates.'];

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

/**
 * Storable text: no U+0000, no unpaired surrogate. Written to read the same with the `u` flag (a
 * pair is one code point outside the surrogate range) and without it (other validators: a pair is
 * two code units, matched by the second branch), so the OpenAPI document can show it as it is.
 */
export const STORABLE_TEXT_PATTERN = '^(?:[^\\u0000\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])*$';
const STORABLE_TEXT = new RegExp(STORABLE_TEXT_PATTERN, 'u');

/**
 * The first rule a value breaks, in the order a caller fixes them: the type, then the text
 * (PostgreSQL text cannot hold U+0000, and UTF-8 cannot hold an unpaired surrogate: the driver
 * would silently store U+FFFD), then the length, then (for names) something visible.
 */
function brokenTextRule(value: unknown, min: number, max: number, options: { name: boolean }): RuleKind | undefined {
  if (typeof value !== 'string') return 'type';
  if (!STORABLE_TEXT.test(value) || (options.name && hasControlCharacter(value))) return 'text';
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

/**
 * What makes two names of a tenant the same name (CONTRACT.md section 3): NFC with full case
 * folding, computed here rather than by the database, whose `lower()` depends on its locale.
 */
export function hubNameKey(name: string): string {
  return caselessKey(name);
}
