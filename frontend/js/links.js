// RFC 8288 Link header parsing, e.g. `<https://x/api/v1/books?page=2>; rel="next", <...>; rel="last"`.

/**
 * Parse a Link header into { rel: url }. A link with several space-separated relations is
 * listed under each of them; commas inside <...> do not split links. Unparseable parts are skipped.
 */
export function parseLinkHeader(header) {
  const links = {};
  if (!header) return links;
  // <url> followed by ;-separated params, whose values may be quoted strings containing , or ;
  const linkPattern = /<([^>]*)>((?:\s*;\s*[^;,=\s]+\s*(?:=\s*(?:"[^"]*"|[^;,]*))?)*)/g;
  const paramPattern = /;\s*([^;,=\s]+)\s*(?:=\s*("[^"]*"|[^;,]*))?/g;
  for (const [, url, rawParams] of String(header).matchAll(linkPattern)) {
    for (const [, name, rawValue = ""] of rawParams.matchAll(paramPattern)) {
      if (name.toLowerCase() !== "rel") continue;
      const value = rawValue.trim().replace(/^"|"$/g, "");
      for (const rel of value.split(/\s+/)) {
        if (rel && !(rel.toLowerCase() in links)) links[rel.toLowerCase()] = url;
      }
    }
  }
  return links;
}
