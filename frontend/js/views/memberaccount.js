// The member page's management parts: approving or rejecting a card that waits for approval, editing the card's
// details, and its login (a one-time password link, unlinking; or giving a new login, linking an existing one).
// page = { ctx, view, member, changed(member, message) } from member.js.

import { approveMember, rejectMember, updateMember, giveMemberLogin, makeMemberPasswordLink } from "../api.js";
import { el, refs, confirmDialog, inlineProblem } from "../dom.js";
import { memberLoginBody, memberPatchBody } from "../accounts.js";
import { formatDate, formatDateTime } from "../format.js";
import { t } from "../i18n.js";
import { takePasswordLink } from "../state.js";
import { busy, clearFieldErrors, contactFields, errorSummary, field, linkBox, showFormProblem } from "./formparts.js";

const DETAIL_FIELDS = ["name", "card_number", "email", "phone"];
const LOGIN_FIELDS = ["email", "login_mode", "temporary_password"];

function ignorable(page, error) {
  return page.ctx.signal.aborted || error.status === 401;
}

// ---- Waiting for approval ----

export function drawPending(page) {
  const { view, member } = page;
  const box = refs(view).pending;
  if (member.status !== "pending") {
    box.replaceChildren();
    return;
  }
  if (box.querySelector("form")) return; // already drawn
  const form = el("form", { className: "stack-form", novalidate: true },
    field({ id: "approve-card", name: "card_number", label: t("Card number"), autocomplete: "off", spellcheck: "false",
      maxlength: "50", className: "mono", hint: t("The number of the card you give them: letters, digits, dots, dashes and slashes.") }),
    el("div", { className: "actions" },
      el("button", { type: "submit", className: "button", text: t("Approve the card") }),
      el("button", { type: "button", className: "button danger", dataset: { ref: "reject" }, text: t("Reject the sign-up") })));
  const summary = errorSummary(3);
  box.replaceChildren(el("section", { className: "panel pending-panel", "aria-labelledby": "pending-heading" },
    el("h2", { id: "pending-heading", text: t("Waiting for approval") }),
    el("p", { text: t("{name} signed up online on {date}. Check who they are, then give them a card number to approve the card, or reject the sign-up.",
      { name: member.name, date: formatDate(member.created_at) }) }),
    summary, form));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      try {
        const approved = await approveMember(page.member.id, form.elements.card_number.value.trim());
        page.changed(approved, t("Approved: {name}’s card number is {card}. They can borrow from now on.",
          { name: approved.name, card: approved.card_number }));
        drawManage(page);
        refs(view).notice.focus();
      } catch (error) {
        if (!ignorable(page, error)) showFormProblem(form, summary, error, ["card_number"], t("card"));
      }
    });
  });
  refs(form).reject.addEventListener("click", async (event) => {
    const ok = await confirmDialog(view, {
      title: t("Reject {name}’s sign-up?", { name: page.member.name }),
      text: t("The card is deleted and the account they made is disabled, so they cannot log in. An admin can enable the account again."),
      confirmLabel: t("Reject the sign-up"),
      opener: event.currentTarget,
    });
    if (!ok) return;
    await busy(form, async () => {
      try {
        await rejectMember(page.member.id);
        page.ctx.navigate("#/members?status=pending", { message: t("Rejected the sign-up of {name}.", { name: page.member.name }) });
      } catch (error) {
        if (!ignorable(page, error)) showFormProblem(form, summary, error, [], t("card"));
      }
    });
  });
}

// ---- Details and login ----

export function drawManage(page) {
  const box = refs(page.view).manage;
  box.replaceChildren(detailsPanel(page), loginPanel(page));
}

function detailsPanel(page) {
  const { member } = page;
  const pending = member.status === "pending";
  const summary = errorSummary(3);
  const form = el("form", { className: "stack-form", novalidate: true },
    field({ id: "edit-member-name", name: "name", label: t("Name"), autocomplete: "off", maxlength: "200", value: member.name }),
    pending ? null : field({ id: "edit-member-card", name: "card_number", label: t("Card number"), autocomplete: "off",
      spellcheck: "false", maxlength: "50", className: "mono", value: member.card_number ?? "" }),
    contactFields({ prefix: "edit-member", email: member.email ?? "", phone: member.phone ?? "" }),
    el("div", { className: "actions" }, el("button", { type: "submit", className: "button", text: t("Save details") })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = Object.fromEntries(DETAIL_FIELDS.filter((name) => form.elements[name])
      .map((name) => [name, form.elements[name].value]));
    const body = memberPatchBody(page.member, values);
    if (Object.keys(body).length === 0) {
      page.changed(page.member, t("Nothing was changed."));
      return;
    }
    busy(form, async () => {
      try {
        const saved = await updateMember(page.member.id, body);
        clearFieldErrors(form, summary);
        page.changed(saved, t("Saved the details of {name}.", { name: saved.name }));
        refs(page.view).notice.focus();
      } catch (error) {
        if (!ignorable(page, error)) showFormProblem(form, summary, error, DETAIL_FIELDS, t("details"));
      }
    });
  });
  return el("details", { className: "panel edit-details" },
    el("summary", { text: t("Edit details") }), summary, form);
}

function loginPanel(page) {
  const section = el("section", { className: "panel", "aria-labelledby": "member-login-heading" },
    el("h2", { id: "member-login-heading", tabindex: "-1", text: t("Login") }));
  const link = linkBox({ id: "member-password-link", heading: t("Password link") });
  const problem = el("div");
  const draw = () => {
    section.replaceChildren(section.firstChild, ...(page.member.user_id ? linked(page, link, problem, draw)
      : unlinked(page, link, draw)), link.box, problem);
  };
  draw();
  const handed = takePasswordLink(page.member.id);
  if (handed) showLink(page, link, handed);
  return section;
}

function showLink(page, link, made) {
  link.show(made, t("Give this link to {name} yourself: with it they choose their password, once, until {when}. It is not shown again; you can make a new one here.",
    { name: page.member.name, when: formatDateTime(made.expires_at) }));
}

function linked(page, link, problem, redraw) {
  const { member } = page;
  const make = el("button", { type: "button", className: "button secondary", text: t("Make a password link") });
  const unlink = el("button", { type: "button", className: "button secondary", text: t("Unlink the account") });
  make.addEventListener("click", async () => {
    problem.replaceChildren();
    make.disabled = true;
    try {
      showLink(page, link, await makeMemberPasswordLink(page.member.id));
    } catch (error) {
      if (!ignorable(page, error)) problem.replaceChildren(inlineProblem(t("Could not make a password link"), error));
    } finally {
      make.disabled = false;
    }
  });
  unlink.addEventListener("click", async () => {
    const email = page.member.user_email;
    const ok = await confirmDialog(page.view, {
      title: t("Unlink {email} from this card?", { email }),
      text: t("They can still log in, but no longer see this card’s loans or place holds with it. To undo, link the account again with its email."),
      confirmLabel: t("Unlink the account"),
      opener: unlink,
    });
    if (!ok) return;
    problem.replaceChildren();
    unlink.disabled = true;
    try {
      const saved = await updateMember(page.member.id, { user_id: null });
      page.changed(saved, t("Unlinked {email}. To undo, link the account again with its email.", { email }));
      link.box.hidden = true;
      redraw();
      refs(page.view).notice.focus();
    } catch (error) {
      unlink.disabled = false;
      if (!ignorable(page, error)) problem.replaceChildren(inlineProblem(t("Could not unlink the account"), error));
    }
  });
  return [
    el("p", { text: t("{name} logs in as {email}: they see their loans, renew and place holds online.",
      { name: member.name, email: member.user_email }) }),
    el("div", { className: "actions" }, make, unlink),
  ];
}

function unlinked(page, link, redraw) {
  const { member } = page;
  const giveSummary = errorSummary(3);
  const radio = (value, label, checked = false) => el("div", { className: "check" },
    el("input", { type: "radio", id: `give-login-mode-${value}`, name: "login_mode", value, checked }),
    el("label", { for: `give-login-mode-${value}`, text: label }));
  const temporary = field({ id: "give-login-temporary", name: "temporary_password", label: t("Temporary password"),
    autocomplete: "off", spellcheck: "false", maxlength: "128", hint: t("8 to 128 characters. They change it when they first log in.") });
  temporary.hidden = true;
  const give = el("form", { className: "stack-form", novalidate: true },
    field({ id: "give-login-email", name: "email", type: "email", label: t("Login email"), autocomplete: "off",
      autocapitalize: "none", spellcheck: "false", maxlength: "254", value: member.email ?? "" }),
    el("fieldset", { className: "field checks" }, el("legend", { text: t("Their password") }),
      radio("link", t("They choose it with a one-time link you give them"), true),
      radio("temporary", t("A temporary password you tell them"))),
    temporary,
    el("div", { className: "actions" }, el("button", { type: "submit", className: "button", text: t("Give a login") })));
  for (const input of give.elements.login_mode) {
    input.addEventListener("change", () => { temporary.hidden = give.elements.login_mode.value !== "temporary"; });
  }
  give.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = memberLoginBody({ mode: give.elements.login_mode.value, login_email: give.elements.email.value,
      temporary_password: give.elements.temporary_password.value });
    busy(give, async () => {
      try {
        const answer = await giveMemberLogin(page.member.id, body);
        page.changed(answer.member, t("{name} has a login now: {email}.", { name: answer.member.name, email: answer.member.user_email }));
        redraw();
        if (answer.password_link) showLink(page, link, answer.password_link);
        else refs(page.view).notice.focus();
      } catch (error) {
        if (!ignorable(page, error)) showFormProblem(give, giveSummary, error, LOGIN_FIELDS, t("login"));
      }
    });
  });

  const linkSummary = errorSummary(3);
  const attach = el("form", { className: "stack-form", novalidate: true },
    field({ id: "link-account-email", name: "user_email", type: "email", label: t("Email of their account"),
      autocomplete: "off", autocapitalize: "none", spellcheck: "false", maxlength: "254" }),
    el("div", { className: "actions" }, el("button", { type: "submit", className: "button secondary", text: t("Link the account") })));
  attach.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(attach, async () => {
      try {
        const saved = await updateMember(page.member.id, { user_email: attach.elements.user_email.value.trim() });
        page.changed(saved, t("Linked {email} to this card.", { email: saved.user_email }));
        redraw();
        refs(page.view).notice.focus();
      } catch (error) {
        if (!ignorable(page, error)) {
          const fields = error.errors?.user_id ? { ...error, errors: { user_email: error.errors.user_id } } : error;
          showFormProblem(attach, linkSummary, fields, ["user_email"], t("link"));
        }
      }
    });
  });
  return [
    el("p", { text: t("This card has no login: {name} cannot see their loans or place holds online.", { name: member.name }) }),
    el("h3", { text: t("Give a new login") }), giveSummary, give,
    el("h3", { text: t("Or link an account they already have") }), linkSummary, attach,
  ];
}
