// The "E-mails from the library" panel of #/me: where the member's notices go, and a switch per kind
// (hold ready, due soon, overdue). Hold-ready cannot be turned off while a hold is open: its switch is shown
// disabled with the reason. Saving says what changed; switching back and saving again undoes it.

import { getMyNoticeChoices, updateMyNoticeChoices } from "../api.js";
import { el, showLoading, showProblem, doneLoading, isAbort, inlineProblem } from "../dom.js";
import { choicesBody, choicesSavedText } from "../notices.js";
import { t } from "../i18n.js";

/** A panel for #/me; it loads its own data. */
export function noticeChoicesPanel(ctx) {
  const body = el("div");
  const panel = el("section", { className: "panel notice-choices", "aria-labelledby": "me-notices-heading" },
    el("h2", { id: "me-notices-heading", tabindex: "-1", text: t("E-mails from the library") }), body);
  load(ctx, body);
  return panel;
}

async function load(ctx, body) {
  showLoading(body, t("Loading your e-mail choices…"));
  let choices;
  try {
    choices = await getMyNoticeChoices({ signal: ctx.signal });
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
    showProblem(body, error, () => load(ctx, body));
    return;
  }
  if (ctx.signal.aborted) return;
  draw(ctx, body, choices);
}

function draw(ctx, body, choices, message = "") {
  const address = choices.email
    ? el("p", {}, t("E-mails go to "), el("strong", { text: choices.email }), t(". To change it, edit your contact details above."))
    : el("p", { className: "inline-problem" }, el("strong", { text: t("We have no e-mail address for you.") }),
      " ", t("Until you add one in your contact details above, the library cannot e-mail you, whatever you choose here."));
  const status = el("p", { className: "notice", role: "status", text: message });
  const problem = el("div");
  const fieldset = el("fieldset", { className: "choice-list" }, el("legend", { text: t("E-mail me when") }),
    ...choices.kinds.map((kind) => {
      const id = `notice-choice-${kind.kind}`;
      const hint = kind.locked ? el("p", { className: "hint", id: `${id}-hint`, text: kind.locked_reason }) : null;
      return el("div", { className: "choice" }, el("div", { className: "check" },
        el("input", { type: "checkbox", id, name: kind.kind, checked: kind.enabled, disabled: kind.locked,
          "aria-describedby": hint ? `${id}-hint` : null }),
        el("label", { for: id, text: kind.label })), hint);
    }));
  const save = el("button", { type: "submit", className: "button secondary", text: t("Save e-mail choices") });
  const form = el("form", { className: "stack-form", novalidate: true }, fieldset, el("div", { className: "actions" }, save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const checked = Object.fromEntries(choices.kinds.map((kind) => [kind.kind, form.elements[kind.kind].checked]));
    const change = choicesBody(choices.kinds, checked);
    problem.replaceChildren();
    if (!Object.keys(change).length) {
      status.textContent = choicesSavedText(change);
      return;
    }
    save.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const saved = await updateMyNoticeChoices(change);
      draw(ctx, body, saved, `${t("Saved.")} ${choicesSavedText(change)}`);
      body.querySelector("button[type=submit]")?.focus();
    } catch (error) {
      if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
      problem.replaceChildren(inlineProblem(t("Your choices were not saved"), error));
    } finally {
      save.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });
  body.replaceChildren(address, form, status, problem);
  doneLoading(body);
}
