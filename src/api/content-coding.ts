/** Which content codings a request's Accept-Encoding takes (RFC 9110 §12.5.3). Pure. */

/**
 * True when `header` (an Accept-Encoding value) takes gzip: named, or as `*`, and not refused
 * with `q=0`.
 * @example acceptsGzip('gzip, deflate, br') // true
 * @example acceptsGzip('gzip;q=0, identity') // false
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  let star = false;
  for (const coding of header.split(',')) {
    const [name = '', ...params] = coding.split(';').map((part) => part.trim().toLowerCase());
    const refused = params.some((param) => /^q\s*=\s*0(\.0{0,3})?$/.test(param));
    if (name === 'gzip' || name === 'x-gzip') return !refused;
    if (name === '*') star = !refused;
  }
  return star;
}
