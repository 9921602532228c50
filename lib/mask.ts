/**
 * Password masking for connection strings, applied to everything we log or
 * write to a report: a URL with credentials must never reach a file.
 *
 * @module
 */

const CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi;

/**
 * Replaces the password of every `scheme://user:password@host` in `text`.
 *
 * @example
 * ```ts
 * maskSecrets("postgres://app:s3cret@db:5432/x"); // "postgres://app:****@db:5432/x"
 * ```
 */
export function maskSecrets(text: string): string {
  return text.replace(CREDENTIALS, "$1****@");
}
