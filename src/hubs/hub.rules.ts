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

/**
 * Each constraint's message carries its Hubster code and text as `code|detail`. (class-validator
 * 0.15 drops `context` for synchronous custom constraints, so the message is the reliable carrier.)
 */
const report = (code: ProblemCode, detail: string): ValidationOptions => ({ message: `${code}|${detail}` });

function decode(message: string): { code: ProblemCode; detail: string } {
  const separator = message.indexOf('|');
  return { code: Number(message.slice(0, separator)) as ProblemCode, detail: message.slice(separator + 1) };
}
const present = (property: keyof HubInput) => (input: HubInput) => input[property] !== undefined;

/** Characters are Unicode code points (CONTRACT.md section 3), so an emoji counts once. */
function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

function CodePointLength(min: number, max: number, options: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'codePointLength',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        // A non-string is reported once, as a wrong type, by @IsString.
        validate: (value: unknown) =>
          typeof value !== 'string' || (codePointLength(value) >= min && codePointLength(value) <= max),
      },
    });
}

/** PostgreSQL text cannot hold U+0000, and no client means to send it: refuse it as a wrong type. */
function HasNoNul(options: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'hasNoNul',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: { validate: (value: unknown) => typeof value !== 'string' || !value.includes('\u0000') },
    });
}

/** Hub properties; absent ones are not checked here (a create checks presence first). */
class HubPropertyRules {
  @ValidateIf(present('name'))
  @IsString(report(302, 'must be a string.'))
  @HasNoNul(report(302, 'must not contain U+0000 characters.'))
  @CodePointLength(1, HUB_LIMITS.nameMaxLength, report(207, `must be between 1 and ${HUB_LIMITS.nameMaxLength} characters long.`))
  name?: unknown;

  @ValidateIf(present('description'))
  @IsString(report(302, 'must be a string.'))
  @HasNoNul(report(302, 'must not contain U+0000 characters.'))
  @CodePointLength(0, HUB_LIMITS.descriptionMaxLength, report(207, `must be at most ${HUB_LIMITS.descriptionMaxLength} characters long.`))
  description?: unknown;

  @ValidateIf(present('closeDormantConversation'))
  @IsInt(report(302, 'must be an integer.'))
  @Min(0, report(207, `must be between 0 and ${HUB_LIMITS.closeDormantConversationMax}.`))
  @Max(HUB_LIMITS.closeDormantConversationMax, report(207, `must be between 0 and ${HUB_LIMITS.closeDormantConversationMax}.`))
  closeDormantConversation?: unknown;

  @ValidateIf(present('statusId'))
  @IsInt(report(302, 'must be an integer.'))
  @IsIn(Object.values(HubStatusId), report(206, 'must be 2000 (Active) or 2002 (Paused).'))
  statusId?: unknown;
}

class PageRules {
  @IsInt(report(210, 'must be an integer.'))
  @Min(0, report(209, 'must be 0 or greater.'))
  pageNumber?: unknown;

  @IsInt(report(210, 'must be an integer.'))
  @Min(1, report(207, `must be between 1 and ${HUB_LIMITS.pageSizeMax}.`))
  @Max(HUB_LIMITS.pageSizeMax, report(207, `must be between 1 and ${HUB_LIMITS.pageSizeMax}.`))
  pageSize?: unknown;
}

const PROPERTY_ORDER = ['name', 'description', 'closeDormantConversation', 'statusId', 'pageNumber', 'pageSize'];
/** Codes that mean "wrong type": when one is found, range problems of that property are noise. */
const TYPE_CODES: readonly ProblemCode[] = [302, 210];

function problemsOf<T extends object>(rules: T): Problem[] {
  const problems: Problem[] = [];
  for (const error of validateSync(rules, { forbidUnknownValues: false })) {
    const found = Object.values(error.constraints ?? {}).map(decode);
    const typeProblems = found.filter((context) => TYPE_CODES.includes(context.code));
    const kept = typeProblems.length > 0 ? typeProblems : found;
    const details = new Set<string>();
    for (const { code, detail } of kept) {
      if (details.has(detail)) continue;
      details.add(detail);
      problems.push({ property: error.property, code, detail });
    }
  }
  return problems.sort((a, b) => PROPERTY_ORDER.indexOf(a.property) - PROPERTY_ORDER.indexOf(b.property));
}

function throwIfAny(problems: Problem[]): void {
  if (problems.length > 0) throw new InvalidInputError(problems as [Problem, ...Problem[]]);
}

/** Trims the name first: the 1-100 rule applies to what is stored. */
function normalised(input: HubInput): HubPropertyRules {
  const rules = new HubPropertyRules();
  rules.name = typeof input.name === 'string' ? input.name.trim() : input.name;
  rules.description = input.description;
  // null means "stays open", exactly like 0 (the seed page).
  rules.closeDormantConversation = input.closeDormantConversation === null ? 0 : input.closeDormantConversation;
  rules.statusId = input.statusId;
  return rules;
}

/** Checks a create; name and description are required. */
export function checkNewHub(input: HubInput): NewHubProperties {
  const rules = normalised(input);
  const missing: Problem[] = (['name', 'description'] as const)
    .filter((property) => input[property] === undefined)
    .map((property) => ({ property, code: 301, detail: 'is required.' }));
  throwIfAny([...missing, ...problemsOf(rules)].sort(
    (a, b) => PROPERTY_ORDER.indexOf(a.property) - PROPERTY_ORDER.indexOf(b.property),
  ));
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

export function checkHubId(hubId: unknown): string {
  if (!isGuid(hubId)) throw new InvalidInputError([{ property: 'hubId', code: 305, detail: 'must be a GUID.' }]);
  return hubId.toLowerCase();
}
