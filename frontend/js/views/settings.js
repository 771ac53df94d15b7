// #/admin/settings — admins: the library's name, the loan rules and signing up online, drawn from the table in
// settingsform.js (one fieldset per section). Saving sends only what changed; the server's field errors show
// next to their fields, and the outcome ("Saved") in a notice.

import { getSettings, updateSettings } from "../api.js";
import { el, refs, setText, showLoading, loadForView } from "../dom.js";
import { SETTINGS_FIELDS, sections, formValue, settingsPatch } from "../settingsform.js";
import { t, tn } from "../i18n.js";
import { adminNav } from "./adminnav.js";
import { busy, checkField, clearFieldErrors, errorSummary, field, showFormProblem } from "./formparts.js";

const KEYS = SETTINGS_FIELDS.map((f) => f.key);

/** Load the settings and draw the form. */
export async function render(ctx) {
  showLoading(ctx.root, t("Loading settings…"));
  const current = await loadForView(ctx, (options) => getSettings(options), {}, () => render(ctx));
  if (current === undefined) return;
  const page = { ctx, current, view: draw() };
  fill(page);
  const form = refs(page.view).form;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, () => save(page));
  });
  ctx.root.replaceChildren(page.view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}

function limitsHint(spec) {
  if (spec.type === "integer") return t("From {min} to {max}.", { min: spec.min, max: spec.max });
  if (spec.type === "text") return t("At most {max} characters.", { max: spec.max });
  return "";
}

function control(spec) {
  const id = `setting-${spec.key}`;
  const help = [spec.help ? t(spec.help) : "", limitsHint(spec)].filter(Boolean).join(" ");
  if (spec.type === "boolean") return checkField({ id, name: spec.key, label: t(spec.label), hint: help });
  const attributes = spec.type === "integer"
    ? { inputmode: "numeric", autocomplete: "off", maxlength: "6", className: "short" }
    : { autocomplete: "off", maxlength: String(spec.max ?? 200) };
  return field({ id, name: spec.key, label: t(spec.label), hint: help, ...attributes });
}

function draw() {
  return el("section", { className: "view view-account view-settings", dataset: { view: "settings" } },
    adminNav("settings"),
    el("h1", { tabindex: "-1", text: t("Settings") }),
    el("p", { className: "lede", text: t("What the library is called, its loan and hold rules, sign-ups, notices and barcodes. Every change is recorded in the audit trail.") }),
    el("p", { className: "notice", role: "status", tabindex: "-1", dataset: { ref: "notice" } }),
    errorSummary(2),
    el("form", { className: "stack-form settings-form", novalidate: true, dataset: { ref: "form" } },
      ...sections().map((section) => el("fieldset", { className: "panel settings-section" },
        el("legend", { text: t(section.name) }),
        ...section.fields.map(control))),
      el("div", { className: "actions form-actions" },
        el("button", { type: "submit", className: "button", dataset: { ref: "submit" }, text: t("Save settings") }))));
}

function fill({ view, current }) {
  const elements = refs(view).form.elements;
  for (const spec of SETTINGS_FIELDS) {
    const input = elements.namedItem(spec.key);
    if (!input) continue;
    if (spec.type === "boolean") input.checked = formValue(spec, current[spec.key]);
    else input.value = formValue(spec, current[spec.key]);
  }
}

async function save(page) {
  const { ctx, view } = page;
  const r = refs(view);
  const raw = {};
  for (const spec of SETTINGS_FIELDS) {
    const input = r.form.elements.namedItem(spec.key);
    if (input) raw[spec.key] = spec.type === "boolean" ? input.checked : input.value;
  }
  const body = settingsPatch(page.current, raw);
  const summary = view.querySelector(".error-summary");
  if (Object.keys(body).length === 0) {
    clearFieldErrors(r.form, summary);
    setText(r.notice, t("Nothing was changed."));
    r.notice.focus();
    return;
  }
  setText(r.notice, "");
  try {
    page.current = await updateSettings(body);
    if ("library_name" in body) ctx.libraryNameChanged(page.current.library_name);
    clearFieldErrors(r.form, summary);
    fill(page);
    setText(r.notice, tn(Object.keys(body).length, "Saved. {count} setting changed.", "Saved. {count} settings changed."));
    r.notice.focus();
  } catch (error) {
    if (ctx.signal.aborted || error.status === 401) return;
    showFormProblem(r.form, summary, error, KEYS, t("settings"));
  }
}
