/**
 * GUIDs as Hubster writes them: 8-4-4-4-12 hex digits. Deliberately not RFC 4122 strict: the seed
 * page's own tenant id (`abc1e69f-c888-875f-ee2c-...`) has no valid version or variant nibble.
 * The pattern's text also describes hub ids in the OpenAPI document.
 */
export const GUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const GUID = new RegExp(GUID_PATTERN);

export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value);
}
