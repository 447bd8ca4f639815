/**
 * GUIDs as Hubster writes them: 8-4-4-4-12 hex digits. Deliberately not RFC 4122 strict: the seed
 * page's own tenant id (`abc1e69f-c888-875f-ee2c-...`) has no valid version or variant nibble.
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value);
}
