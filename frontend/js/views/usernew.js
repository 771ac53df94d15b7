// #/admin/users/new — admins add a user: email, display name, role and a first password (temporary unless the
// admin says otherwise: the user then chooses their own at first login). The server is
// the validator; its field errors (and 409 for an email already in use) show next to the fields.

import { createUser } from "../api.js";
import { clone, refs } from "../dom.js";
import { showFieldErrors } from "../fielderrors.js";
import { groupErrors } from "../bookform.js";
import { newUserBody } from "../accounts.js";
import { ROLES, roleLabel, displayName } from "../session.js";

const FIELDS = ["email", "display_name", "role", "password"];

export function render(ctx) {
  const view = clone("tpl-user-new");
  const r = refs(view);
  r.role.append(...ROLES.map((role) => new Option(roleLabel(role), role)));
  r.role.value = "member";
  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(ctx, view);
  });
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}

async function save(ctx, view) {
  const r = refs(view);
  if (r.form.getAttribute("aria-busy") === "true") return;
  const body = newUserBody({
    ...Object.fromEntries(FIELDS.map((name) => [name, r.form.elements[name].value])),
    must_change_password: r.form.elements.must_change_password.checked,
  });
  r.form.setAttribute("aria-busy", "true");
  r.submit.disabled = true;
  try {
    const user = await createUser(body);
    ctx.navigate(`#/admin/users/${user.id}`, {
      message: `Added ${displayName(user)} (${user.email}) as a ${roleLabel(user.role).toLowerCase()}.`,
    });
  } catch (error) {
    if (ctx.signal.aborted || error.status === 401) return;
    const grouped = groupErrors(error.errors, FIELDS);
    if (error.status === 409 && !grouped.fields.email) {
      grouped.fields.email = [error.detail || "A user with this email address already exists."];
    }
    const invalid = error.status === 422 || error.status === 409;
    showFieldErrors(r.form, r.summary, grouped, {
      order: FIELDS,
      fallback: error.detail || error.title,
      heading: (count) => (invalid
        ? count === 1 ? "There is a problem with this user" : `There are ${count} problems with this user`
        : `The user could not be added: ${error.title || "error"}`),
    });
  } finally {
    r.form.removeAttribute("aria-busy");
    r.submit.disabled = false;
  }
}
