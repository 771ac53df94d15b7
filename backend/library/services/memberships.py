"""Member logins and self-registration: a library card's user account, made by staff or by the member, and the
pending cards staff approve (giving the card number) or reject.

A pending member has no card number (the database allows that only while pending) and cannot borrow or place
holds (services/circulation.py refuses any card that is not active).
"""

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, Problem
from ..extensions import db
from ..models import Member, PasswordLink, User
from ..models.accounts import DISPLAY_NAME_MAX
from . import audit, auth, passwordlinks, passwords, settings, throttle

EMAIL_TAKEN = "A user with this email already exists: link that account to the card instead."


def _invalid(errors):
    return Problem(422, "The request has invalid fields; see errors.", errors)


def new_login(email: str, display_name: str, temporary_password: str | None, hash_params: tuple,
              field: str = "login") -> tuple[User, PasswordLink | None, str | None]:
    """A member's account: with a temporary password staff chose (to be changed at first login), or with no
    usable password yet and a welcome link to set one. Returns the user, and the link and its secret (or Nones).
    Errors name the fields under `field` (e.g. login.email). The caller links it to the card and commits."""
    def name(key):
        return f"{field}.{key}" if field else key

    if auth.user_by_email(email) is not None:
        raise Conflict(EMAIL_TAKEN, {name("email"): [EMAIL_TAKEN]})
    if temporary_password is not None and (problems := passwords.problems(temporary_password)):
        raise _invalid({name("temporary_password"): problems})
    # Without a temporary password the account gets a random one nobody knows (hashed like any other, so a
    # login attempt costs the same) until the member sets theirs through the link.
    secret = temporary_password if temporary_password is not None else secrets.token_urlsafe(32)
    user = User(email=email, display_name=display_name[:DISPLAY_NAME_MAX], role="member", is_active=True,
                password_hash=passwords.hash_password(secret, hash_params),
                must_change_password=temporary_password is not None)
    db.session.add(user)
    db.session.flush()
    if temporary_password is not None:
        return user, None, None
    link, raw = passwordlinks.make_link(user, "welcome", audit.current_actor())
    return user, link, raw


def give_login(member: Member, email: str, temporary_password: str | None, hash_params: tuple):
    """A new account for an existing card that has none; returns what new_login() does, committed."""
    if member.user_id is not None:
        raise Conflict("This card already has an account; unlink it first to give it another.")
    user, link, raw = new_login(email, member.name, temporary_password, hash_params, field="")
    member.user_id = user.id
    _commit_or_conflict(EMAIL_TAKEN)
    return user, link, raw


def _commit_or_conflict(message):
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(message) from None


def registration_open() -> bool:
    return bool(settings.get("self_registration"))


def _refuse_when_closed():
    if not registration_open():
        raise Problem(403, "Signing up online is turned off: ask at the library desk for a card.")


def register(name: str, email: str, password: str, phone: str | None, remote_addr: str | None,
             hash_params: tuple) -> None:
    """A visitor signs up: a member account and a pending card. The caller answers the same whether the email
    was new or already had an account (nothing is made then), and both take an Argon2 hash's time."""
    _refuse_when_closed()
    if problems := passwords.problems(password):
        raise _invalid({"password": problems})
    throttle.admit("register", email, remote_addr)
    password_hash = passwords.hash_password(password, hash_params)
    if auth.user_by_email(email) is not None:
        db.session.commit()  # the throttle's count
        return
    user = User(email=email, display_name=name[:DISPLAY_NAME_MAX], role="member", is_active=True,
                password_hash=password_hash)
    db.session.add(user)
    try:
        with audit.acting_as(user):
            db.session.flush()
            _pending_member(user, name, phone)
        db.session.commit()
    except IntegrityError:  # the same email signed up at the same moment: that one stands
        db.session.rollback()


def _pending_member(user: User, name: str, phone: str | None) -> Member:
    member = Member(name=name, email=user.email, phone=phone, status="pending", user_id=user.id)
    db.session.add(member)
    db.session.flush()
    audit.record("member.register", actor=user, resource=member, summary={"name": name})
    return member


def apply_for_card(user: User, name: str, phone: str | None) -> Member:
    """A signed-in user without a card asks for one: a pending card linked to their account."""
    _refuse_when_closed()
    if db.session.scalar(select(Member.id).where(Member.user_id == user.id)) is not None:
        raise Conflict("Your account already has a library card.")
    member = _pending_member(user, name, phone)
    _commit_or_conflict("Your account already has a library card.")
    return member


def approve(member: Member, card_number: str) -> Member:
    """Staff approve a pending card, giving it its card number; from now on the member can borrow."""
    if member.status != "pending":
        raise Conflict(f"{member.name}'s card is not waiting for approval.")
    other = db.session.scalar(select(Member.id).where(Member.card_number == card_number))
    if other is not None:
        raise Conflict(f"Card {card_number} belongs to member {other}.", {"card_number": ["This card number is in use."]})
    member.card_number, member.status = card_number, "active"
    _commit_or_conflict(f"Card {card_number} is already in use.")
    return member


def reject(member: Member) -> None:
    """Staff reject a pending card: it is deleted, and the account made with it is disabled (the email stays
    taken, so the same person cannot simply sign up again; an admin can enable it)."""
    if member.status != "pending":
        raise Conflict(f"{member.name}'s card is not waiting for approval; suspend it instead.")
    user = db.session.get(User, member.user_id) if member.user_id else None
    audit.record("member.reject", resource=member, summary={"name": member.name, "email": member.email})
    db.session.delete(member)
    if user is not None and user.role == "member":
        user.is_active = False
        auth.revoke_sessions(user)
        auth.revoke_tokens(user)
    _commit_or_conflict("The card changed meanwhile; try again.")


def update_contact(member: Member, changes: dict) -> Member:
    """A member changes their own contact details (email, phone)."""
    for key, value in changes.items():
        setattr(member, key, value)
    db.session.commit()
    return member
