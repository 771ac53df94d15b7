// #/notices/templates/{kind} — admins: edit one kind's template (subject, plain text, HTML) with the variables
// it may use, preview it with sample values (the server renders it, in its sandbox), save it (a template that
// does not render is refused, with the line and the reason), or go back to the built-in one after confirming.

import { getNoticeTemplate, saveNoticeTemplate, previewNoticeTemplate, resetNoticeTemplate } from "../api.js";
import { el, loadForView, confirmDialog, inlineProblem, isAbort } from "../dom.js";
import { clearFieldErrors, showFieldErrors } from "../fielderrors.js";
import { groupErrors } from "../bookform.js";
import { formatDateTime } from "../format.js";
import { previewHtml } from "../notices.js";
import { t } from "../i18n.js";

const PARTS = ["subject", "body_text", "body_html"];

export async function render(ctx) {
  const { kind } = ctx.params;
  const template = await loadForView(ctx, (opts) => getNoticeTemplate(kind, opts),
    { title: t("No such kind of notice"), detail: t("There is no notice template at this address.") },
    () => render(ctx));
  if (!template) return;
  ctx.root.replaceChildren(page(ctx, template));
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}

function field(name, label, control, hint) {
  const hintId = `template-${name}-hint`;
  control.id = `template-${name}`;
  control.name = name;
  if (hint) control.setAttribute("aria-describedby", hintId);
  return el("div", { className: "field", dataset: { field: name } }, el("label", { for: control.id, text: label }),
    hint ? el("p", { className: "hint", id: hintId, text: hint }) : null, control);
}

function page(ctx, template) {
  const summary = el("div", { className: "error-summary", tabindex: "-1", hidden: true },
    el("h2", { dataset: { ref: "summary-title" }, text: t("There is a problem") }), el("ul", { dataset: { ref: "summary-list" } }));
  const subject = el("input", { autocomplete: "off", maxlength: "300", spellcheck: "true" });
  const text = el("textarea", { rows: "10", className: "mono", spellcheck: "false" });
  const html = el("textarea", { rows: "10", className: "mono", spellcheck: "false" });
  const form = el("form", { className: "book-form", novalidate: true },
    field("subject", t("Subject"), subject),
    field("body_text", t("Plain-text message"), text, t("For mail programs that show no HTML. Line breaks are kept.")),
    field("body_html", t("HTML message"), html, t("Values are escaped for HTML by themselves.")));
  const fill = (values) => {
    subject.value = values.subject;
    text.value = values.body_text;
    html.value = values.body_html;
  };
  fill(template);
  const values = () => ({ subject: subject.value, body_text: text.value, body_html: html.value });

  const status = el("p", { className: "notice", role: "status" });
  const problem = el("div");
  const preview = el("section", { className: "panel template-preview", "aria-labelledby": "template-preview-heading", hidden: true });
  const state = el("p", { className: "hint-text" });
  const drawState = (current) => {
    state.textContent = current.customized
      ? t("Changed {when}. Going back to the built-in template undoes the changes.", { when: formatDateTime(current.updated_at) })
      : t("This is the built-in template.");
    reset.hidden = !current.customized;
  };

  const previewButton = el("button", { type: "button", className: "button secondary", text: t("Preview") });
  const saveButton = el("button", { type: "submit", className: "button", text: t("Save template") });
  const reset = el("button", { type: "button", className: "button danger", text: t("Go back to the built-in template") });
  drawState(template);
  form.append(el("div", { className: "actions form-actions" }, saveButton, previewButton, reset));

  const failed = (error, lead) => {
    if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
    if (error.status === 422) {
      showFieldErrors(form, summary, groupErrors(error.errors, PARTS), {
        order: PARTS,
        heading: (count) => (count === 1 ? t("The template does not work") : t("There are {count} problems", { count })),
      });
    } else {
      problem.replaceChildren(inlineProblem(lead, error));
    }
  };
  const busy = async (button, action) => {
    button.disabled = true;
    status.textContent = "";
    problem.replaceChildren();
    clearFieldErrors(form, summary);
    try {
      await action();
    } finally {
      button.disabled = false;
    }
  };

  previewButton.addEventListener("click", () => busy(previewButton, async () => {
    try {
      const rendered = await previewNoticeTemplate(template.kind, values(), { signal: ctx.signal });
      drawPreview(preview, rendered);
      preview.querySelector("h2").focus();
    } catch (error) {
      failed(error, t("Could not preview the template"));
    }
  }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(saveButton, async () => {
      try {
        const saved = await saveNoticeTemplate(template.kind, values());
        Object.assign(template, saved);
        drawState(saved);
        status.textContent = t("Saved. The next notices of this kind use it.");
      } catch (error) {
        failed(error, t("The template was not saved"));
      }
    });
  });
  reset.addEventListener("click", async () => {
    const ok = await confirmDialog(view, {
      title: t("Go back to the built-in template?"),
      text: t("Your changes to this template are deleted. Notices already made keep their text."),
      confirmLabel: t("Use the built-in template"),
      opener: reset,
    });
    if (!ok) return;
    await busy(reset, async () => {
      try {
        await resetNoticeTemplate(template.kind);
        const fresh = await getNoticeTemplate(template.kind, { signal: ctx.signal });
        Object.assign(template, fresh);
        fill(fresh);
        drawState(fresh);
        status.textContent = t("The built-in template is used again.");
        saveButton.focus();
      } catch (error) {
        failed(error, t("Could not go back to the built-in template"));
      }
    });
  });

  const variables = el("dl", { className: "variable-list" }, ...template.variables.map((variable) => el("div", {},
    el("dt", {}, el("code", { text: `{{ ${variable.name} }}` })),
    el("dd", { text: t("{description}, e.g. {example}", { description: variable.description, example: variable.example }) }))));
  const view = el("section", { className: "view view-form view-template", dataset: { view: "notice-template" } },
    el("p", { className: "back" }, el("a", { href: "#/notices" }, el("span", { "aria-hidden": "true", text: "← " }), t("Back to notices"))),
    el("p", { className: "eyebrow", text: t("Notice template") }),
    el("h1", { tabindex: "-1", text: template.label }),
    state,
    el("details", { className: "variables" }, el("summary", { text: t("Values you can use") }),
      el("p", { className: "hint-text", text: t("Write {{ name }} for a value; {% if … %} … {% endif %} for a condition.") }),
      variables),
    summary, form, status, problem, preview);
  return view;
}

function drawPreview(section, rendered) {
  // The HTML is shown in a sandboxed frame (no scripts, no forms, its own origin), never in this page.
  const frame = el("iframe", { sandbox: "", title: t("The HTML message"), className: "preview-frame" });
  const { html, stripped } = previewHtml(rendered.body_html);
  frame.srcdoc = html;
  section.replaceChildren(
    el("h2", { id: "template-preview-heading", tabindex: "-1", text: t("Preview with sample values") }),
    el("p", {}, el("strong", { text: `${t("Subject:")} ` }), rendered.subject),
    el("h3", { text: t("Plain text") }),
    el("pre", { className: "message-text", tabindex: "0", text: rendered.body_text }),
    el("h3", { text: t("HTML") }),
    stripped ? el("p", { className: "hint-text", text: t("Shown here without its styles (colours, fonts), which mail programs do show.") }) : null,
    frame);
  section.hidden = false;
}
