// Server-side validation messages on a form: each field's messages next to it (tied to the input with
// aria-describedby and aria-invalid), and all of them in an error summary that takes focus, which is
// what announces them. Shared by every form in the app; the messages go in as text only.

import { el, refs } from "./dom.js";
import { t } from "./i18n.js";

/** Remove the messages and marks a previous showFieldErrors() left in root, and hide the summary. */
export function clearFieldErrors(root, summary = null) {
  for (const node of root.querySelectorAll(".field-error")) node.remove();
  for (const field of root.querySelectorAll(".field.has-error")) field.classList.remove("has-error");
  for (const input of root.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const input of root.querySelectorAll("[aria-describedby]")) {
    const ids = (input.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id && !id.endsWith("-error"));
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }
  if (summary) summary.hidden = true;
}

function labelText(root, input) {
  const label = root.querySelector(`label[for="${input.id}"]`);
  return (label?.firstChild?.textContent ?? input.name).trim();
}

/**
 * Where a field's message goes. One control: after it, tied to it. A group of checkboxes sharing a
 * name (in a fieldset): after the legend, tied to the fieldset, every box marked invalid.
 */
function fieldTarget(form, name) {
  const control = form.elements.namedItem(name);
  if (!control) return null;
  if (control instanceof HTMLElement) {
    if (!control.id) return null;
    return { inputs: [control], described: control, after: control.closest(".check") ?? control, label: labelText(form, control) };
  }
  const inputs = [...control].filter((node) => node.id);
  const fieldset = inputs[0]?.closest("fieldset");
  if (!fieldset) return null;
  const legend = fieldset.querySelector("legend");
  return { inputs, described: fieldset, after: legend ?? fieldset.firstChild, label: (legend?.textContent ?? name).trim() };
}

/**
 * Show `grouped` ({ fields: { name: [messages] }, other: [messages] }, see groupErrors) on `form`:
 * fields are visited in `order` (form control names), messages for names without a control go to
 * the summary's list as plain text. The summary (an .error-summary with data-ref summary-title and
 * summary-list) gets `heading(count)` as its title and takes focus. Returns the number of problems.
 */
export function showFieldErrors(form, summary, grouped, { order = Object.keys(grouped.fields), heading, fallback = "" } = {}) {
  clearFieldErrors(form);
  const items = [];
  const leftover = [...grouped.other];
  for (const name of order) {
    const messages = grouped.fields[name];
    if (!messages?.length) continue;
    const target = fieldTarget(form, name);
    if (!target) {
      leftover.push(...messages);
      continue;
    }
    const { inputs, described, after, label } = target;
    const id = `${inputs[0].id || `${form.id || "form"}-${name}`}-error`;
    const note = el("p", { className: "field-error", id },
      el("span", { className: "visually-hidden", text: t("Error: ") }), messages.join(" "));
    after.after(note);
    (described.closest(".field") ?? described).classList.add("has-error");
    for (const input of inputs) input.setAttribute("aria-invalid", "true");
    const ids = (described.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
    described.setAttribute("aria-describedby", [...ids, id].join(" "));

    const link = el("a", { href: `#${inputs[0].id}`, text: `${label}: ${messages.join(" ")}` });
    link.addEventListener("click", (event) => {
      event.preventDefault(); // an in-page anchor would replace the route in the hash
      inputs[0].focus();
    });
    items.push(el("li", {}, link));
  }
  for (const message of leftover) items.push(el("li", { text: message }));
  if (items.length === 0 && fallback) items.push(el("li", { text: fallback }));

  const r = refs(summary);
  r["summary-title"].textContent = heading(items.length);
  r["summary-list"].replaceChildren(...items);
  summary.hidden = false;
  summary.focus(); // reading the summary out is the announcement
  return items.length;
}
