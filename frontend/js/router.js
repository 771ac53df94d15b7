// Hash routing as pure functions: parse a location hash, match it against a route table,
// and build hashes back from a path and query state. No DOM access here, so node --test can
// cover it; main.js wires these to window.location and the hashchange event.

/**
 * Split "#/books?q=dune&page=2" into { path: "/books", query: { q: "dune", page: "2" } }.
 * Empty query values are dropped; a missing or bare hash becomes "/".
 */
export function parseHash(hash) {
  const raw = String(hash ?? "").replace(/^#/, "");
  const cut = raw.indexOf("?");
  let path = cut === -1 ? raw : raw.slice(0, cut);
  const search = cut === -1 ? "" : raw.slice(cut + 1);
  if (!path.startsWith("/")) path = `/${path}`;
  // "/books/" and "/books" are the same page.
  if (path.length > 1) path = path.replace(/\/+$/, "");
  const query = {};
  for (const [key, value] of new URLSearchParams(search)) {
    if (value !== "") query[key] = value;
  }
  return { path, query };
}

/** Compile "/books/:id/edit" into a matcher; ":name" segments match one non-empty segment. */
export function compile(pattern) {
  const names = [];
  const source = pattern
    .split("/")
    .map((segment) => {
      if (segment.startsWith(":")) {
        names.push(segment.slice(1));
        return "([^/]+)";
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  const regex = new RegExp(`^${source}$`);
  return (path) => {
    const found = regex.exec(path);
    if (!found) return null;
    const params = {};
    names.forEach((name, i) => {
      params[name] = decodeURIComponent(found[i + 1]);
    });
    return params;
  };
}

/**
 * Find the first route whose pattern matches path. Routes are { pattern, ... } objects;
 * an optional `params` validator (name -> RegExp) rejects e.g. non-numeric ids.
 * Returns { route, params } or null.
 */
export function matchRoute(routes, path) {
  for (const route of routes) {
    route.match ??= compile(route.pattern);
    const params = route.match(path);
    if (!params) continue;
    const valid = Object.entries(route.params ?? {}).every(([name, re]) => re.test(params[name]));
    if (valid) return { route, params };
  }
  return null;
}

/**
 * Build "#/books?q=dune&page=2" from a path and a query object. Values that are null, undefined,
 * "" or equal to the given defaults are left out, so the hash stays short and canonical.
 */
export function buildHash(path, query = {}, defaults = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === "") continue;
    if (key in defaults && String(defaults[key]) === String(value)) continue;
    params.append(key, String(value));
  }
  const search = params.toString();
  return `#${path}${search ? `?${search}` : ""}`;
}

export const LOGIN_PATH = "/login";

/**
 * The page to go to after logging in: `next` when it is a hash route of this app ("#/books/4"),
 * otherwise `fallback`. Anything else (a URL, "//host", "javascript:", a backslash, control
 * characters, the login page itself) is refused, so a crafted link cannot send the user elsewhere.
 */
export function safeNextHash(next, fallback = "#/books") {
  if (typeof next !== "string" || next.length > 2000) return fallback;
  if (!/^#\/(?![/\\])/.test(next)) return fallback;
  if (/[\u0000-\u001f\u007f\\\s]/.test(next)) return fallback;
  const { path } = parseHash(next);
  if (path === LOGIN_PATH || path === "/") return fallback;
  return next;
}

/** "#/login?next=%23%2Fbooks%2F4" for the page to come back to (left out when it is the default). */
export function loginHash(next) {
  const target = safeNextHash(next, null);
  return buildHash(LOGIN_PATH, target && target !== "#/books" ? { next: target } : {});
}
