// DOM helpers shared by the views: cloning templates, finding their data-ref slots, and the
// loading, problem and empty states. API data only ever goes in through textContent/attributes.

import { t } from "./i18n.js";
import { translateTree } from "./i18n-dom.js";

/** Clone the first element of <template id="...">, in the language in use. */
export function clone(id) {
  const template = document.getElementById(id);
  if (!(template instanceof HTMLTemplateElement)) throw new Error(`missing template #${id}`);
  return translateTree(template.content.firstElementChild.cloneNode(true));
}

/** { name: element } for every [data-ref] inside root (root's own data-ref included). */
export function refs(root) {
  const found = {};
  for (const node of [root, ...root.querySelectorAll("[data-ref]")]) {
    if (node.dataset?.ref) found[node.dataset.ref] = node;
  }
  return found;
}

/** Create an element with properties/attributes and children (strings become text nodes). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/** Set text, hiding the element when the text is empty. */
export function setText(node, text) {
  node.textContent = text ?? "";
  node.hidden = !text;
}

/** Replace container's content with a loading indicator. */
export function showLoading(container, text = t("Loading…")) {
  const node = clone("tpl-loading");
  refs(node).text.textContent = text;
  container.replaceChildren(node);
  container.setAttribute("aria-busy", "true");
}

export function doneLoading(container) {
  container.removeAttribute("aria-busy");
}

/** Show an ApiError (title, detail) with a retry button inside container. */
export function showProblem(container, error, onRetry) {
  const node = clone("tpl-problem");
  const r = refs(node);
  r.title.textContent = error?.title || t("Something went wrong");
  setText(r.detail, problemDetail(error));
  if (onRetry) r.retry.addEventListener("click", onRetry);
  else r.retry.remove();
  container.replaceChildren(node);
  doneLoading(container);
  return node;
}

/** A whole-view failure: the problem's title becomes the view's h1. */
export function showPageProblem(ctx, error, onRetry) {
  const node = clone("tpl-page-problem");
  const r = refs(node);
  r.title.textContent = error?.title || t("Something went wrong");
  setText(r.detail, problemDetail(error));
  r.retry.addEventListener("click", onRetry);
  ctx.root.replaceChildren(node);
  doneLoading(ctx.root);
  ctx.ready();
}

function problemDetail(error) {
  if (error?.detail) return error.detail;
  if (error?.status >= 500) return t("The server ran into a problem. Please try again in a moment.");
  if (error && !("status" in error)) return t("An unexpected error happened in the page. Please try again.");
  return "";
}

/** An empty-state block. */
export function showEmpty(container, title, detail = "", action = null) {
  const node = clone("tpl-empty");
  const r = refs(node);
  r.title.textContent = title;
  setText(r.detail, detail);
  if (action) node.append(el("p", {}, action));
  container.replaceChildren(node);
  doneLoading(container);
}

/** True for the rejection fetch gives when a navigation aborted the request. */
export function isAbort(error) {
  return error?.name === "AbortError";
}

/**
 * Load the one resource a view shows. On 404 the not-found view explains `notFound`; on any other
 * error the page problem offers `retry`. Returns undefined when the view should stop (also when the
 * user navigated away meanwhile).
 */
export async function loadForView(ctx, load, notFound, retry) {
  try {
    const value = await load({ signal: ctx.signal });
    return ctx.signal.aborted ? undefined : value;
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return undefined;
    if (error.status === 404) ctx.notFound(notFound);
    else showPageProblem(ctx, error, retry);
    return undefined;
  }
}

/** True when focus fell back to <body>, e.g. because the focused element was re-rendered. */
export function focusLost() {
  return !document.activeElement || document.activeElement === document.body;
}

/**
 * Ask for confirmation in a modal dialog (tpl-confirm) added to `host`: resolves true when the user
 * chose `confirmLabel`, false on Cancel or Esc. The dialog is removed afterwards and focus goes back
 * to `opener` (if it is still on the page).
 */
export function confirmDialog(host, { title, text, confirmLabel, cancelLabel = t("Cancel"), opener = document.activeElement }) {
  const dialog = clone("tpl-confirm");
  const r = refs(dialog);
  r.title.textContent = title;
  r.text.textContent = text;
  r.confirm.textContent = confirmLabel;
  r.cancel.textContent = cancelLabel;
  host.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const confirmed = dialog.returnValue === "confirm";
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(confirmed);
    }, { once: true });
    dialog.showModal();
  });
}

/** An inline problem (role="alert", so it is announced when added): "<lead>: <title>." and the detail. */
export function inlineProblem(lead, error) {
  const detail = error?.detail || "";
  return el("p", { className: "inline-problem", role: "alert" },
    el("strong", { text: detail ? t("{lead}:", { lead }) : t("{lead}: {title}.", { lead, title: error?.title || t("error") }) }), detail ? ` ${detail}` : "");
}
