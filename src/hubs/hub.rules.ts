import {
  IsIn,
  IsInt,
  IsString,
  Max,
  Min,
  registerDecorator,
  ValidateIf,
  validateSync,
  type ValidationOptions,
} from 'class-validator';
import { isGuid } from '../common/guid';
import { caselessKey, hasControlCharacter, isInvisible } from '../common/text';
import { InvalidInputError, type Problem, type ProblemCode } from '../errors/domain-error';
import { HubStatusId } from './hub.entity';

/**
 * The contract's rules for hub properties and paging (CONTRACT.md section 3), declared once with
 * class-validator and applied by `HubService` for every transport, so REST and GraphQL can never
 * disagree on what is valid. Each constraint carries the Hubster code it reports.
 */
export const HUB_LIMITS = {
  nameMaxLength: 100,
  descriptionMaxLength: 1000,
  closeDormantConversationMax: 3650,
  pageSizeMax: 100,
  pageSizeDefault: 50,
} as const;

/** What a caller may send for a hub; anything may arrive, so nothing is trusted to be typed. */
export interface HubInput {
  readonly name?: unknown;
  readonly description?: unknown;
  readonly closeDormantConversation?: unknown;
  readonly statusId?: unknown;
}

/** A new hub's properties once every rule holds, name trimmed and defaults applied. */
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

/** What kind of rule a value breaks; each property says which Hubster code and text that is. */
export type RuleKind = 'required' | 'type' | 'text' | 'range' | 'blank' | 'unsupported';

type RuleTable = Readonly<Record<string, Partial<Readonly<Record<RuleKind, readonly [ProblemCode, string]>>>>>;

const TEXT: readonly [ProblemCode, string] = [302, 'must be Unicode text without U+0000 or unpaired surrogates.'];
/** A name is a label people read: no control character at all (tabs and line breaks included). */
const NAME_TEXT: readonly [ProblemCode, string] = [302, 'must be Unicode text without control characters or unpaired surrogates.'];

/**
 * The code and text of every problem, for both transports: class-validator reports these from the
 * service, and REST's JSON-schema errors are translated into the same ones.
 */
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
};

/** The problem a property has when it breaks a rule of the given kind. */
export function problem(property: string, kind: RuleKind): Problem {
  const rule = RULES[property]?.[kind];
  if (rule === undefined) throw new Error(`No ${kind} rule for '${property}'`);
  return { property, code: rule[0], detail: rule[1] };
}

/**
 * Each constraint's message carries its problem as `code|detail`. (class-validator 0.15 drops
 * `context` for synchronous custom constraints, so the message is the reliable carrier.)
 */
function report(property: string, kind: RuleKind): ValidationOptions {
  const { code, detail } = problem(property, kind);
  return { message: `${code}|${detail}` };
}

function decode(property: string, message: string): Problem {
  const separator = message.indexOf('|');
  return { property, code: Number(message.slice(0, separator)) as ProblemCode, detail: message.slice(separator + 1) };
}

const present = (property: keyof HubInput) => (input: HubInput) => input[property] !== undefined;

/** Characters are Unicode code points (CONTRACT.md section 3), so an emoji counts once. */
function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

/**
 * A rule on strings, as a class-validator decorator. A non-string passes here: it is reported
 * once, as a wrong type, by @IsString.
 */
function stringRule(name: string, holds: (value: string) => boolean): (options: ValidationOptions) => PropertyDecorator {
  return (options) => (target, propertyName) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: { validate: (value: unknown) => typeof value !== 'string' || holds(value) },
    });
}

const CodePointLength = (min: number, max: number, options: ValidationOptions) =>
  stringRule('codePointLength', (value) => codePointLength(value) >= min && codePointLength(value) <= max)(options);

/** U+0000, or half of a surrogate pair without its other half. */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what is refused.
const NOT_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * PostgreSQL text cannot hold U+0000, and UTF-8 cannot hold an unpaired surrogate (the driver
 * would silently store U+FFFD instead, so what was read back would differ from what was
 * answered): neither is text a client means to send, so both are refused as a wrong type.
 */
const IsStorableText = stringRule('isStorableText', (value) => !NOT_TEXT.test(value));

/** A name's text: storable, and free of control characters. */
const IsNameText = stringRule('isNameText', (value) => !NOT_TEXT.test(value) && !hasControlCharacter(value));

/**
 * Something a person can see: a name of only zero-width spaces would look blank in every list.
 * The empty name is reported once, as out of range.
 */
const HasVisibleCharacter = stringRule('hasVisibleCharacter', (value) => value === '' || !isInvisible(value));

/** Hub properties; absent ones are not checked here (a create checks presence first). */
class HubPropertyRules {
  @ValidateIf(present('name'))
  @IsString(report('name', 'type'))
  @IsNameText(report('name', 'text'))
  @CodePointLength(1, HUB_LIMITS.nameMaxLength, report('name', 'range'))
  @HasVisibleCharacter(report('name', 'blank'))
  name?: unknown;

  @ValidateIf(present('description'))
  @IsString(report('description', 'type'))
  @IsStorableText(report('description', 'text'))
  @CodePointLength(0, HUB_LIMITS.descriptionMaxLength, report('description', 'range'))
  description?: unknown;

  @ValidateIf(present('closeDormantConversation'))
  @IsInt(report('closeDormantConversation', 'type'))
  @Min(0, report('closeDormantConversation', 'range'))
  @Max(HUB_LIMITS.closeDormantConversationMax, report('closeDormantConversation', 'range'))
  closeDormantConversation?: unknown;

  @ValidateIf(present('statusId'))
  @IsInt(report('statusId', 'type'))
  @IsIn(Object.values(HubStatusId), report('statusId', 'unsupported'))
  statusId?: unknown;
}

class PageRules {
  @IsInt(report('pageNumber', 'type'))
  @Min(0, report('pageNumber', 'range'))
  pageNumber?: unknown;

  @IsInt(report('pageSize', 'type'))
  @Min(1, report('pageSize', 'range'))
  @Max(HUB_LIMITS.pageSizeMax, report('pageSize', 'range'))
  pageSize?: unknown;
}

const PROPERTY_ORDER = ['name', 'description', 'closeDormantConversation', 'statusId', 'pageNumber', 'pageSize'];
/** Codes that mean "wrong type": when one is found, range problems of that property are noise. */
const TYPE_CODES: readonly ProblemCode[] = [302, 210, 305];

/**
 * One list of problems as a caller should read it: for each property only its most basic problems
 * (a wrong type hides range problems), no repeats, in the order properties are documented.
 */
export function settle(problems: readonly Problem[]): Problem[] {
  const byProperty = new Map<string, Problem[]>();
  for (const found of problems) byProperty.set(found.property, [...(byProperty.get(found.property) ?? []), found]);
  const settled: Problem[] = [];
  for (const [, found] of byProperty) {
    const typeProblems = found.filter((candidate) => TYPE_CODES.includes(candidate.code));
    const details = new Set<string>();
    for (const kept of typeProblems.length > 0 ? typeProblems : found) {
      if (details.has(kept.detail)) continue;
      details.add(kept.detail);
      settled.push(kept);
    }
  }
  const rank = (property: string) => (PROPERTY_ORDER.includes(property) ? PROPERTY_ORDER.indexOf(property) : -1);
  return settled.sort((a, b) => rank(a.property) - rank(b.property));
}

function problemsOf<T extends object>(rules: T): Problem[] {
  return validateSync(rules, { forbidUnknownValues: false }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) => decode(error.property, message)),
  );
}

function throwIfAny(problems: Problem[]): void {
  const settled = settle(problems);
  if (settled.length > 0) throw new InvalidInputError(settled as [Problem, ...Problem[]]);
}

/**
 * Trims the name and writes it in NFC first: the rules apply to what is stored, and `Café` is
 * stored alike however its accent was sent.
 */
function normalised(input: HubInput): HubPropertyRules {
  const rules = new HubPropertyRules();
  rules.name = typeof input.name === 'string' ? input.name.trim().normalize('NFC') : input.name;
  rules.description = input.description;
  // null means "stays open", exactly like 0 (the seed page).
  rules.closeDormantConversation = input.closeDormantConversation === null ? 0 : input.closeDormantConversation;
  rules.statusId = input.statusId;
  return rules;
}

/** Checks a create; name and description are required. */
export function checkNewHub(input: HubInput): NewHubProperties {
  const rules = normalised(input);
  const missing = (['name', 'description'] as const)
    .filter((property) => input[property] === undefined)
    .map((property) => problem(property, 'required'));
  throwIfAny([...missing, ...problemsOf(rules)]);
  return {
    name: rules.name as string,
    description: rules.description as string,
    closeDormantConversation: (rules.closeDormantConversation ?? 0) as number,
    statusId: (rules.statusId ?? HubStatusId.Active) as HubStatusId,
  };
}

/** Checks an update: only the properties present are checked, and only they change. */
export function checkHubChanges(input: HubInput): HubChanges {
  const rules = normalised(input);
  throwIfAny(problemsOf(rules));
  const changes: { -readonly [K in keyof HubChanges]: HubChanges[K] } = {};
  if (rules.name !== undefined) changes.name = rules.name as string;
  if (rules.description !== undefined) changes.description = rules.description as string;
  if (rules.closeDormantConversation !== undefined) changes.closeDormantConversation = rules.closeDormantConversation as number;
  if (rules.statusId !== undefined) changes.statusId = rules.statusId as HubStatusId;
  return changes;
}

export function checkPageRequest(input: { pageNumber?: unknown; pageSize?: unknown }): PageRequest {
  const rules = new PageRules();
  rules.pageNumber = input.pageNumber ?? 0;
  rules.pageSize = input.pageSize ?? HUB_LIMITS.pageSizeDefault;
  throwIfAny(problemsOf(rules));
  return { pageNumber: rules.pageNumber as number, pageSize: rules.pageSize as number };
}

/**
 * What makes two names of a tenant the same name (CONTRACT.md section 3): NFC with full case
 * folding, computed here rather than by the database, whose `lower()` depends on its locale.
 */
export function hubNameKey(name: string): string {
  return caselessKey(name);
}

export function checkHubId(hubId: unknown): string {
  if (!isGuid(hubId)) throw new InvalidInputError([problem('hubId', 'type')]);
  return hubId.toLowerCase();
}
