// The one module that talks to the server. Every call sends and receives JSON; any non-2xx answer
// (an RFC 9457 problem document) becomes an ApiError carrying status, title, detail and the
// field errors map, so views only ever deal with data or one kind of error.

import { parseLinkHeader } from "./links.js";

export const API_BASE = "/api/v1";

/** An error answer from the API, or status 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor({ status = 0, title = "Error", detail = "", errors = {}, type = "about:blank" } = {}) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = "ApiError";
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors && typeof errors === "object" ? errors : {};
    this.type = type;
  }

  get isNotFound() {
    return this.status === 404;
  }
}

/** "/books" + {q: "dune", page: 2} -> "/api/v1/books?q=dune&page=2" (null/"" values left out). */
export function apiUrl(path, params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    search.append(key, String(value));
  }
  const query = search.toString();
  return `${API_BASE}${path}${query ? `?${query}` : ""}`;
}

const FALLBACK_TITLES = {
  0: "Cannot reach the server",
  400: "Bad request",
  404: "Not found",
  409: "Conflict",
  422: "Invalid data",
  500: "Server error",
  502: "Server unavailable",
  503: "Service unavailable",
  504: "Server timed out",
};

async function readBody(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") ?? "";
  if (/[/+]json\b/i.test(type)) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Send one request. `params` become the query string, `body` is sent as JSON.
 * Resolves to the parsed body (null for 204); a list response also gets `links` (rel -> URL)
 * from its Link header. Rejects with ApiError, or with the AbortError when `signal` aborts.
 */
export async function request(method, path, { params, body, signal } = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  const init = { method, headers, signal, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(apiUrl(path, params), init);
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new ApiError({
      status: 0,
      title: FALLBACK_TITLES[0],
      detail: "The catalog did not answer. Check your connection and try again.",
    });
  }

  const data = await readBody(response);
  if (!response.ok) {
    const problem = data && typeof data === "object" ? data : {};
    throw new ApiError({
      status: response.status,
      title: problem.title || FALLBACK_TITLES[response.status] || response.statusText || "Error",
      detail: typeof problem.detail === "string" ? problem.detail : "",
      errors: problem.errors,
      type: problem.type,
    });
  }
  if (data && typeof data === "object" && Array.isArray(data.items)) {
    data.links = parseLinkHeader(response.headers.get("Link"));
  }
  return data;
}

const id = (value) => encodeURIComponent(String(value));

export const listBooks = (params, opts) => request("GET", "/books", { ...opts, params });
export const getBook = (bookId, opts) => request("GET", `/books/${id(bookId)}`, opts);
export const createBook = (body, opts) => request("POST", "/books", { ...opts, body });
export const updateBook = (bookId, body, opts) => request("PATCH", `/books/${id(bookId)}`, { ...opts, body });
export const deleteBook = (bookId, opts) => request("DELETE", `/books/${id(bookId)}`, opts);
export const getAuthor = (authorId, opts) => request("GET", `/authors/${id(authorId)}`, opts);
export const listAuthorBooks = (authorId, params, opts) =>
  request("GET", `/authors/${id(authorId)}/books`, { ...opts, params });
export const listSubjects = (params, opts) => request("GET", "/subjects", { ...opts, params });
