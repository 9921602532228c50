/**
 * Connection strings as people write them. A password may hold `@`, `:` or
 * `/` unescaped; drivers split such a URL at the wrong `@` and then print
 * part of the password in their error. The URL is normalised once, when the
 * configuration is loaded: the user info (up to the authority's last `@`) is
 * percent-encoded, so every consumer sees a well-formed URL and the password
 * arrives intact (postgres.js percent-decodes it).
 *
 * @module
 */

function encodePart(part: string): string {
  let plain = part;
  try {
    plain = decodeURIComponent(part); // already encoded: keep its meaning
  } catch { /* a lone % is a literal % */ }
  return encodeURIComponent(plain);
}

/**
 * Percent-encodes the user and password of a `postgres://` URL.
 *
 * @example
 * ```ts
 * normalizeDatabaseUrl("postgres://app:p@ss/w:rd@db:5432/shop");
 * // "postgres://app:p%40ss%2Fw%3Ard@db:5432/shop"
 * ```
 */
export function normalizeDatabaseUrl(url: string): string {
  const scheme = url.match(/^postgres(?:ql)?:\/\//i);
  if (!scheme) return url;
  const start = scheme[0].length;
  // The password may hold @ / ? #, a host never holds @: the user info runs
  // to the URL's last @.
  const at = url.lastIndexOf("@");
  if (at < start) return url;
  const info = url.slice(start, at);
  const colon = info.indexOf(":");
  const encoded = colon < 0
    ? encodePart(info)
    : `${encodePart(info.slice(0, colon))}:${
      encodePart(info.slice(colon + 1))
    }`;
  return url.slice(0, start) + encoded + url.slice(at);
}

/** The `host[:port][,host[:port]...]` part of a normalised URL. */
export function hostPart(url: string): string {
  const scheme = url.match(/^postgres(?:ql)?:\/\//i);
  if (!scheme) return "";
  const rest = url.slice(scheme[0].length);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  return authority.slice(authority.lastIndexOf("@") + 1);
}
