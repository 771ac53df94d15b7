// Form pieces the account views build in their modules (label, hint, control; an error summary; a copyable
// link), with the same markup as the forms in index.html, so fielderrors.js and the stylesheet treat them alike.
// Text goes in through el()'s textContent only.

import { el, refs } from "../dom.js";
import { clearFieldErrors, showFieldErrors } from "../fielderrors.js";
import { groupErrors } from "../bookform.js";
import { t, tn } from "../i18n.js";

/** A labelled input: { id, name, label, hint, type, ...attributes } (attributes go on the input). */
export function field({ id, name, label, hint = "", type = "text", value = "", ...attributes }) {
  const input = el("input", { id, name, type, "aria-describedby": hint ? `${id}-hint` : null, ...attributes });
  input.value = value;
  return el("div", { className: "field" },
    el("label", { for: id, text: label }),
    hint ? el("p", { className: "hint", id: `${id}-hint`, text: hint }) : null,
    input);
}

/** A checkbox with its label and an optional hint. */
export function checkField({ id, name, label, hint = "", checked = false }) {
  const input = el("input", { id, name, type: "checkbox", checked, "aria-describedby": hint ? `${id}-hint` : null });
  return el("div", { className: "field" },
    el("div", { className: "check" }, input, el("label", { for: id, text: label })),
    hint ? el("p", { className: "hint", id: `${id}-hint`, text: hint }) : null);
}

/** Email and phone side by side, e.g. a card's contact details: { prefix, email, phone, autocomplete }. */
export function contactFields({ prefix, email = "", phone = "", personal = false }) {
  return el("div", { className: "field-grid" },
    field({ id: `${prefix}-email`, name: "email", type: "email", label: t("Email address"),
      autocomplete: personal ? "email" : "off", autocapitalize: "none", spellcheck: "false", maxlength: "254", value: email }),
    field({ id: `${prefix}-phone`, name: "phone", type: "tel", label: t("Phone"), autocomplete: personal ? "tel" : "off",
      maxlength: "50", value: phone }));
}

/**
 * Run `work` (the request a form sends) with the form marked busy and its buttons disabled; a second submit while
 * it runs is ignored.
 */
export async function busy(form, work) {
  if (form.getAttribute("aria-busy") === "true") return;
  const buttons = [...form.querySelectorAll("button")];
  form.setAttribute("aria-busy", "true");
  for (const button of buttons) button.disabled = true;
  try {
    await work();
  } finally {
    form.removeAttribute("aria-busy");
    for (const button of buttons) button.disabled = false;
  }
}

/** The error summary a form's problems are listed in (hidden until then); `level` is its heading's level. */
export function errorSummary(level = 2) {
  return el("div", { className: "error-summary", tabindex: "-1", hidden: true, dataset: { ref: "summary" } },
    el(`h${level}`, { dataset: { ref: "summary-title" }, text: t("There is a problem") }),
    el("ul", { dataset: { ref: "summary-list" } }));
}

/**
 * Show an ApiError on a form: field messages next to their controls (`fields`: the control names, in order),
 * the rest in the summary. `what` finishes "The … could not be saved" for errors that are not about fields.
 */
export function showFormProblem(form, summary, error, fields, what) {
  const grouped = groupErrors(error.errors, fields);
  const invalid = error.status === 422 || error.status === 409;
  if (!Object.keys(grouped.fields).length && !grouped.other.length) grouped.other.push(error.detail || error.title);
  return showFieldErrors(form, summary, grouped, {
    order: fields,
    fallback: error.detail || error.title,
    heading: (count) => (invalid ? tn(count, "There is a problem", "There are {count} problems")
      : t("The {what} could not be saved: {title}", { what, title: error.title || t("error") })),
  });
}

export { clearFieldErrors };

/**
 * A one-time link shown to staff, with a Copy button: { box, show(link) }. The link is a secret: it is shown
 * in a read-only field, never put in the page's address. Its refs are named link-*, so that they do not
 * shadow the refs of the view it is put in (refs() of a view finds them too).
 */
export function linkBox({ id, heading, level = 3 }) {
  const input = el("input", { id, readonly: true, autocomplete: "off", spellcheck: "false", className: "mono",
    dataset: { ref: "link-url" } });
  const copy = el("button", { type: "button", className: "button secondary", text: t("Copy") });
  const box = el("div", { className: "new-token link-box", tabindex: "-1", hidden: true },
    el(`h${level}`, { text: heading }),
    el("p", { dataset: { ref: "link-lede" } }),
    el("div", { className: "field" },
      el("label", { for: id, text: t("One-time link") }),
      el("div", { className: "input-group" }, input, copy)),
    el("p", { className: "copy-status", role: "status", dataset: { ref: "link-status" } }));
  const r = refs(box);
  copy.addEventListener("click", async () => {
    try {
      if (!navigator.clipboard?.writeText) throw new Error("no clipboard");
      await navigator.clipboard.writeText(input.value);
      r["link-status"].textContent = t("Copied the link to the clipboard.");
    } catch {
      input.focus();
      input.select(); // no clipboard access (an insecure origin, or refused): ready for Ctrl+C
      r["link-status"].textContent = t("The link is selected: press Ctrl+C (or ⌘C) to copy it.");
    }
  });
  return {
    box,
    show(link, lede) {
      r["link-url"].value = link.url;
      r["link-lede"].textContent = lede;
      r["link-status"].textContent = "";
      box.hidden = false;
      box.focus();
    },
  };
}
