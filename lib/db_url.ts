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

/** Where the authority of `url` ends: its path, query or fragment. */
function authorityEnd(url: string, start: number): number {
  // The password may contain / ? #: the authority runs to the first of them
  // after the last @ (a host never contains @).
  const lastAt = url.indexOf("@", start) < 0 ? start : (() => {
    const tail = url.slice(start).search(/[/?#][^@]*$/);
    const end = tail < 0 ? url.length : start + tail;
    return url.lastIndexOf("@", end - 1) + 1;
  })();
  const rest = url.slice(lastAt).search(/[/?#]/);
  return rest < 0 ? url.length : lastAt + rest;
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
  const end = authorityEnd(url, start);
  const authority = url.slice(start, end);
  const at = authority.lastIndexOf("@");
  if (at < 0) return url;
  const info = authority.slice(0, at);
  const colon = info.indexOf(":");
  const user = colon < 0 ? info : info.slice(0, colon);
  const encoded = colon < 0
    ? encodePart(user)
    : `${encodePart(user)}:${encodePart(info.slice(colon + 1))}`;
  return url.slice(0, start) + encoded + authority.slice(at) + url.slice(end);
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
