import { createHash } from 'node:crypto';

/**
 * A Content-Security-Policy for the gateway's own pages: everything from its own origin, `data:`
 * for embedded fonts and images, the one inline stylesheet allowed by its hash, and no framing.
 * `navigation` says where the page's base URI and forms may point ('none' when it has no forms).
 */
export function selfOnlyCsp(inlineStyle: string, navigation: "'none'" | "'self'"): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'sha256-${createHash('sha256').update(inlineStyle).digest('base64')}'`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    `base-uri ${navigation}`,
    `form-action ${navigation}`,
    "frame-ancestors 'none'",
  ].join('; ');
}
