"""Notices by e-mail on SQLite and PostgreSQL: the outbox written with its event, the real sender against a local
SMTP server (aiosmtpd), retries and failures, members' choices, templates, the schedule on a controlled clock."""

import re
import threading

import pytest
from sqlalchemy import func, select

from library.extensions import db
from library.models import Hold, Member, Notice, User, UserSession
from library.services import jobs, mailer, notices, settings, tasks  # noqa: F401 - tasks registers the schedule
from library.services.worker import Worker

from .mailcatcher import MailCatcher
from .test_books import assert_problem as _assert_problem
from .test_circulation import Clock, code, desk  # noqa: F401 - the desk fixture
from .test_jobs import writes_in_rounds

PUBLIC = "http://library.test"


def assert_problem(response, status, field=None):
    body = _assert_problem(response, status)
    if field is not None:
        assert field in body.get("errors", {}), body
    return body


@pytest.fixture
def mail():
    with MailCatcher() as catcher:
        yield catcher


@pytest.fixture
def app(make_app, mail):
    mailer.reset_rest()
    return make_app(**mail.config(), LIBRARY_PUBLIC_URL=PUBLIC, LIBRARY_NAME="Riverside Library")


@pytest.fixture
def clock(app):
    app.config["LIBRARY_CLOCK"] = clock = Clock()
    return clock


def account(email):
    """A user account (in an app context) for password reset notices: the simplest notice to make many of."""
    user = User(email=email, display_name=email.split("@")[0].title(), role="member", password_hash="x")
    db.session.add(user)
    db.session.commit()
    return user


def send(app, owner="w1"):
    with app.app_context():
        return mailer.send_due(owner)


def rows(app, **where):
    with app.app_context():
        query = select(Notice).order_by(Notice.id)
        for key, value in where.items():
            query = query.where(getattr(Notice, key) == value)
        found = db.session.scalars(query).all()
        db.session.expunge_all()
        return found


def waiting_hold(desk, email="ann@example.org", **member):
    """A book whose only copy is lent to someone else, and a member (with this address) waiting for it."""
    book, (copy,) = desk.book_with_copies(1, title="The Left Hand of Darkness")
    borrower = desk.member(name="Bo Rower")
    assert desk.checkout(copy["barcode"], borrower["card_number"]).status_code == 201
    reader = desk.member(name="Ann Reader", email=email, **member)
    assert desk.hold(book["id"], reader["card_number"]).status_code == 201
    return book, copy, reader


def text_part(message):
    return message.get_body(("plain",)).get_content()


def html_part(message):
    return message.get_body(("html",)).get_content()


# --- the outbox and the sender ------------------------------------------------------------------------

def test_a_captured_hold_is_mailed_to_the_member_with_a_link_to_their_account(app, desk, mail):
    book, copy, reader = waiting_hold(desk)
    assert rows(app) == []  # nothing until the hold is captured
    returned = desk.give_back(copy["barcode"]).get_json()
    assert returned["hold"]["member_has_email"] is True
    (notice,) = rows(app)
    assert (notice.kind, notice.state, notice.to_address, notice.member_id) == ("hold_ready", "queued",
                                                                                 "ann@example.org", reader["id"])
    assert send(app) == 1
    (message,) = mail.wait_for(1)
    assert message["To"] == "Ann Reader <ann@example.org>"
    assert message["From"] == "Riverside Library <desk@library.test>"
    assert message["Subject"] == "Ready for you: The Left Hand of Darkness"
    assert message["Message-ID"] == notice.message_id and re.fullmatch(r"<[^@<>]+@library\.test>", notice.message_id)
    assert message["Auto-Submitted"] == "auto-generated" and message["Date"]
    text = text_part(message)
    assert "Hello Ann Reader" in text and "The Left Hand of Darkness" in text and "Riverside Library" in text
    assert f"{PUBLIC}/#/me" in text
    pickup = returned["hold"]["pickup_by"][:10]
    assert notices.day_text(__import__("datetime").datetime.fromisoformat(pickup)).split()[1] in text
    html = html_part(message)
    assert f'href="{PUBLIC}/#/me"' in html and "<strong>The Left Hand of Darkness</strong>" in html
    (sent,) = rows(app)
    assert sent.state == "sent" and sent.sent_at is not None and sent.attempts == 1
    assert send(app) == 0 and len(mail.messages) == 1  # nothing is sent twice


def test_the_notice_is_part_of_the_capture_transaction(app, desk):
    book, copy, reader = waiting_hold(desk)
    from library.models import Copy
    from library.services import circulation

    with app.app_context():
        lent = db.session.get(Copy, copy["id"])
        circulation.shelve(lent, circulation.clock.now(), settings.rules())
        assert db.session.scalar(select(func.count()).select_from(Notice)) == 1  # pending in the transaction
        db.session.rollback()  # the capture does not happen: neither does its notice
        assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
        assert db.session.scalar(select(Hold.status).where(Hold.member_id == reader["id"])) == "waiting"


def test_a_hold_placed_while_a_copy_is_on_the_shelf_is_notified_when_the_copy_is_captured(app, desk, mail):
    """The hold waits on the pull list (nothing to tell yet); once staff capture the copy, the member is told."""
    book, (copy,) = desk.book_with_copies(1)
    reader = desk.member(email="quick@example.org")
    assert desk.hold(book["id"], reader["card_number"]).get_json()["status"] == "waiting"
    assert send(app) == 0
    assert desk.post("/api/v1/holds/capture", json={"barcode": copy["barcode"]}).get_json()["status"] == "ready"
    assert send(app) == 1
    assert mail.wait_for(1)[0]["To"].addresses[0].addr_spec == "quick@example.org"


def test_a_member_without_an_address_is_not_told_and_staff_see_it(app, desk, mail, as_role):
    book, copy, reader = waiting_hold(desk, email=None)
    hold = desk.get(f"/api/v1/holds?member_id={reader['id']}").get_json()["items"][0]
    assert hold["member_has_email"] is False
    assert desk.give_back(copy["barcode"]).get_json()["hold"]["member_has_email"] is False
    (notice,) = rows(app)
    assert (notice.state, notice.reason, notice.to_address) == ("suppressed", notices.NO_ADDRESS, None)
    assert send(app) == 0 and mail.messages == []
    listed = desk.get(f"/api/v1/notices?member_id={reader['id']}").get_json()
    assert listed["total"] == 1 and listed["items"][0]["reason"] == notices.NO_ADDRESS
    assert listed["items"][0]["card_number"] == reader["card_number"]


def test_a_member_linked_to_an_account_without_a_card_address_gets_mail_at_the_accounts(app, desk, make_user, mail):
    user_id = make_user("member", email="login@example.org")
    book, copy, reader = waiting_hold(desk, email=None, user_id=user_id)
    desk.give_back(copy["barcode"])
    assert send(app) == 1 and mail.wait_for(1)[0]["To"].addresses[0].addr_spec == "login@example.org"


def test_with_no_mail_server_notices_wait_and_say_so(make_app, make_user, make_token):
    app = make_app()  # no LIBRARY_SMTP_HOST: `make run` without a mail server
    staff = app.test_client()
    staff.user_id = make_user("librarian")
    staff.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_token(staff.user_id)}"
    with app.app_context():
        member = Member(card_number=code("M"), name="Ann", email="ann@example.org")
        db.session.add(member)
        db.session.commit()
        notices.password_reset(db.session.get(User, staff.user_id), "http://x.test/#/reset?t=1")
        db.session.commit()
        assert mailer.send_due("w1") == 0
    (item,) = staff.get("/api/v1/notices").get_json()["items"]
    assert item["state"] == "queued" and item["reason"] == "Not sent: no mail server is configured."
    (french,) = staff.get("/api/v1/notices", headers={"Accept-Language": "fr"}).get_json()["items"]
    assert french["reason"] == "Non envoyé : aucun serveur de messagerie n'est configuré."
    status = staff.get("/api/v1/notices/status").get_json()
    assert status["mail_server"]["configured"] is False and status["queued"] == 1 and status["failing"] is False


def test_the_sender_retries_while_the_server_is_down_and_delivers_each_notice_once(make_app):
    """The SMTP server is down for the first attempts, then up: every notice arrives exactly once."""
    catcher = MailCatcher()  # not started: nothing listens on its port yet
    app = make_app(**catcher.config(), LIBRARY_PUBLIC_URL=PUBLIC)
    app.config["LIBRARY_CLOCK"] = clock = Clock()
    mailer.reset_rest()
    with app.app_context():
        user = account("u@example.org")
        for n in range(5):
            notices.password_reset(user, f"{PUBLIC}/#/reset?t={n}")
        db.session.commit()
        assert mailer.send_due("w1") == 0  # refused: the first notice is tried, the server rests 30 s
        clock.advance(seconds=10)
        assert mailer.send_due("w1") == 0  # still resting: nothing tried, nothing written
        clock.advance(seconds=25)
        assert mailer.send_due("w1") == 0  # the second notice tried; rest doubles to 60 s
        tried = db.session.scalars(select(Notice).where(Notice.attempts > 0)).all()
        assert len(tried) == 2 and all(n.state == "queued" and "Could not talk" in n.reason for n in tried)
        status_failing = notices.status()["failing"]
        assert status_failing is True
    with catcher:
        with app.app_context():
            clock.advance(seconds=61)  # the rest is over, and so are the two tried ones' back-offs
            assert mailer.send_due("w1") == 5
            assert notices.status()["failing"] is False
            clock.advance(hours=3)
            assert mailer.send_due("w1") == 0
        ids = catcher.message_ids()
        assert len(ids) == 5 and len(set(ids)) == 5
    assert {n.state for n in rows(app)} == {"sent"}


def test_a_refusal_is_retried_with_backoff_a_permanent_one_fails_at_once_and_staff_can_resend(app, desk, mail, clock):
    book, copy, _reader = waiting_hold(desk, email="later@example.org")
    desk.give_back(copy["barcode"])
    mail.refuse_next("451 4.3.0 Mailbox busy, try later", times=2)
    assert send(app) == 0
    (notice,) = rows(app)
    assert (notice.state, notice.attempts) == ("queued", 1) and notice.reason == "451 4.3.0 Mailbox busy, try later"
    assert notice.next_attempt_at == clock.now + mailer.backoff(1)
    clock.advance(minutes=1)
    assert send(app) == 0  # the second refusal: two minutes now
    clock.advance(minutes=1)
    assert send(app) == 0
    clock.advance(minutes=1)
    assert send(app) == 1 and len(mail.messages) == 1

    clock.advance(minutes=1)
    book2, copy2, reader2 = waiting_hold(desk, email="nobody@example.org")
    desk.give_back(copy2["barcode"])
    mail.refuse_next("550 5.1.1 No such user here")
    assert send(app) == 0
    failed = rows(app, member_id=reader2["id"])[0]
    assert failed.state == "failed" and failed.reason == "550 5.1.1 No such user here" and failed.attempts == 1
    status = desk.get("/api/v1/notices/status").get_json()
    assert status["failed"] == 1 and status["failing"] is True and "550" in status["last_error"]
    listed = desk.get("/api/v1/notices?state=failed").get_json()["items"]
    assert [n["id"] for n in listed] == [failed.id]
    assert_problem(desk.post(f"/api/v1/notices/{notice.id}/resend"), 409)  # a sent one is not resent
    again = desk.post(f"/api/v1/notices/{failed.id}/resend")
    assert again.status_code == 200 and again.get_json()["state"] == "queued"
    assert send(app) == 1
    last = mail.wait_for(2)[-1]
    assert last["Message-ID"] == failed.message_id
    assert desk.get("/api/v1/notices/status").get_json()["failing"] is False
    with app.app_context():
        from library.models import AuditEvent

        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notice.resend"))
        assert event.summary["notice_id"] == failed.id and event.actor_id == desk.user_id


def test_a_notice_fails_after_the_last_try_with_the_servers_reason(app, desk, mail, clock):
    book, copy, _reader = waiting_hold(desk)
    desk.give_back(copy["barcode"])
    mail.refuse_next("452 4.2.2 Mailbox full", times=mailer.MAX_TRIES)
    for _ in range(mailer.MAX_TRIES):
        send(app)
        clock.advance(hours=1)
    (notice,) = rows(app)
    assert notice.state == "failed" and notice.attempts == mailer.MAX_TRIES
    assert notice.reason == f"452 4.2.2 Mailbox full (after {mailer.MAX_TRIES} tries)"
    assert mail.messages == []


def test_a_password_reset_link_is_mailed_and_then_not_kept(app, make_user, mail):
    user_id = make_user("member", email="forgot@example.org", name="Forgetful")
    link = f"{PUBLIC}/#/reset?token=s3cret"
    with app.app_context():
        notices.password_reset(db.session.get(User, user_id), link)
        db.session.commit()
    assert send(app) == 1
    (message,) = mail.wait_for(1)
    assert link in text_part(message) and f'href="{link}"' in html_part(message)
    assert message["Subject"] == "Reset your password at Riverside Library"
    (notice,) = rows(app)
    assert notice.state == "sent" and "s3cret" not in notice.body_text + notice.body_html


# --- members' choices ---------------------------------------------------------------------------------

def test_members_choose_their_emails_but_not_hold_ready_while_a_hold_is_open(app, desk, make_user, make_token, mail,
                                                                             clock):
    user_id = make_user("member", email="me@example.org")
    member = app.test_client()
    member.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_token(user_id)}"
    assert_problem(member.get("/api/v1/members/me/notices"), 404)  # no card yet
    book, copy, reader = waiting_hold(desk, email=None, user_id=user_id)
    choices = member.get("/api/v1/members/me/notices").get_json()
    assert choices["email"] == "me@example.org"
    assert [(k["kind"], k["enabled"], k["locked"]) for k in choices["kinds"]] == [
        ("hold_ready", True, True), ("due_soon", True, False), ("overdue", True, False)]
    assert choices["kinds"][0]["label"] == "A hold is ready to pick up"
    french = member.get("/api/v1/members/me/notices", headers={"Accept-Language": "fr"}).get_json()["kinds"][0]
    assert (french["label"], french["locked_reason"]) == (
        "Une réservation est prête à être retirée",
        "Vous avez une réservation en cours : vous serez prévenu quand elle sera prête.")
    assert_problem(member.patch("/api/v1/members/me/notices", json={"hold_ready": False}), 409, field="hold_ready")
    assert_problem(member.patch("/api/v1/members/me/notices", json={"due_soon": "no"}), 422, field="due_soon")
    assert_problem(member.patch("/api/v1/members/me/notices", json={"password_reset": False}), 422)
    changed = member.patch("/api/v1/members/me/notices", json={"due_soon": False}).get_json()
    assert [k["enabled"] for k in changed["kinds"]] == [True, False, True]

    # A loan due soon: the member turned those off, so it is written as suppressed, and not sent.
    desk.give_back(copy["barcode"])  # the hold is captured (told), then picked up
    assert desk.checkout(copy["barcode"], reader["card_number"]).status_code == 201
    settings_ = {"notice_due_soon_days": 3}
    with app.app_context():
        settings.update(settings_)
        clock.advance(days=19)
        assert notices.due_soon() == 1
    suppressed = rows(app, kind="due_soon")[0]
    assert suppressed.state == "suppressed" and suppressed.reason == notices.TURNED_OFF
    assert send(app) == 1  # only the hold-ready one
    # No open hold any more: hold-ready can be turned off.
    changed = member.patch("/api/v1/members/me/notices", json={"hold_ready": False}).get_json()
    assert changed["kinds"][0] == {"kind": "hold_ready", "label": "A hold is ready to pick up", "enabled": False,
                                   "locked": False, "locked_reason": None}


# --- templates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("part, source, message", [
    ("body_text", "Hello {{ name }", "Line 1: unexpected '}'"),
    ("body_text", "Hello {{ nmae }}", "'nmae' is undefined"),
    ("subject", "{{ ''.__class__.__mro__ }}", "unsafe"),
    ("body_html", "{% for i in range(10**9) %}x{% endfor %}", "not allowed"),
    ("body_text", "{{ 'x' * 10000000 }}", "too long"),
    ("body_text", "{% for i in range(5000) %}{% for j in range(5000) %}x{% endfor %}{% endfor %}", "range of more than"),
    ("body_text", "{{ 1 / 0 }}", "ZeroDivisionError"),
])
def test_a_broken_template_is_refused_when_saved(app, as_role, part, source, message):
    admin = as_role("admin")
    template = admin.get("/api/v1/notice-templates/hold_ready").get_json()
    body = {p: template[p] for p in ("subject", "body_text", "body_html")} | {part: source}
    for url in ("/api/v1/notice-templates/hold_ready", "/api/v1/notice-templates/hold_ready/preview"):
        response = admin.put(url, json=body) if not url.endswith("preview") else admin.post(url, json=body)
        assert_problem(response, 422, field=part)
        assert message in " ".join(response.get_json()["errors"][part]), response.get_json()
    assert admin.get("/api/v1/notice-templates/hold_ready").get_json()["customized"] is False


def test_admins_edit_a_template_with_a_preview_and_the_next_notice_uses_it(app, as_role, desk, mail):
    admin = as_role("admin")
    assert as_role("librarian").get("/api/v1/notice-templates").status_code == 403
    listed = admin.get("/api/v1/notice-templates").get_json()
    assert [t["kind"] for t in listed] == ["hold_ready", "due_soon", "overdue", "password_reset"]
    assert {"title", "pickup_by", "account_url", "library_name"} <= {v["name"] for v in listed[0]["variables"]}
    body = {"subject": "{{ library_name }}: {{ title }} is here",
            "body_text": "Dear {{ name }}, collect {{ title }} by {{ pickup_by }}.",
            "body_html": "<p>Dear {{ name }}, collect <b>{{ title }}</b>.</p>"}
    preview = admin.post("/api/v1/notice-templates/hold_ready/preview", json=body).get_json()
    assert preview["subject"] == "Riverside Library: The Left Hand of Darkness is here"
    assert preview["body_text"] == "Dear Ada Lovelace, collect The Left Hand of Darkness by Friday 11 December 2026."
    assert admin.get("/api/v1/notice-templates/hold_ready").get_json()["customized"] is False  # a preview saves nothing
    saved = admin.put("/api/v1/notice-templates/hold_ready", json=body).get_json()
    assert saved["customized"] is True and saved["subject"] == body["subject"]

    book, copy, _reader = waiting_hold(desk)
    new_copy = desk.add_copy(book["id"])  # a new copy, pulled for the waiting hold and captured at the desk
    assert desk.post("/api/v1/holds/capture", json={"barcode": new_copy["barcode"]}).status_code == 200
    assert send(app) == 1
    message = mail.wait_for(1)[0]
    assert message["Subject"] == "Riverside Library: The Left Hand of Darkness is here"
    assert "<b>The Left Hand of Darkness</b>" in html_part(message)

    assert admin.delete("/api/v1/notice-templates/hold_ready").status_code == 204
    assert admin.get("/api/v1/notice-templates/hold_ready").get_json()["customized"] is False
    assert admin.get("/api/v1/notice-templates/unknown").status_code == 404


def test_html_templates_escape_the_data(app, desk, mail):
    book, copy, _reader = waiting_hold(desk)
    desk.patch(f"/api/v1/books/{book['id']}", json={"title": "<script>alert(1)</script> & Co"})
    desk.give_back(copy["barcode"])
    send(app)
    message = mail.wait_for(1)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html_part(message)
    assert "<script>alert(1)</script> & Co" in text_part(message)


# --- the schedule on a controlled clock -----------------------------------------------------------------

def test_due_soon_overdue_and_pickup_expiry_over_several_days(app, desk, mail, clock):
    """Loans of 21 days; reminders 3 days before; overdue notices after the due date, then every 2 days, 3 at most;
    a hold not picked up in 2 days passes to the next in line, who is told (the library clears expired holds
    automatically: a setting)."""
    with app.app_context():
        settings.update({"notice_due_soon_days": 3, "notice_overdue_every_days": 2, "notice_overdue_max": 3,
                         "hold_pickup_days": 2, "hold_auto_expire": True})
    clock.now = clock.now.replace(hour=9, minute=0)
    book, (copy,) = desk.book_with_copies(1, title="The Dispossessed")
    late = desk.member(name="Late Reader", email="late@example.org")
    first, second = (desk.member(name=n, email=f"{n.split()[0].lower()}@example.org") for n in ("First Waiter",
                                                                                                 "Second Waiter"))
    assert desk.checkout(copy["barcode"], late["card_number"]).status_code == 201
    for waiter in (first, second):
        assert desk.hold(book["id"], waiter["card_number"]).status_code == 201

    timeline = []
    for step in range(4 * 31):  # 31 days in 6-hour steps: the worker's rounds (periodic tasks, then the sender)
        with app.app_context():
            jobs.run_due("w1")
            mailer.send_due("w1")
        for message in mail.messages[len(timeline):]:
            timeline.append((step // 4, message["To"].addresses[0].display_name, message["Subject"]))
        if step == 4 * 26:  # day 26: the late reader brings it back; the first in line is told
            assert desk.give_back(copy["barcode"]).get_json()["hold"]["member_id"] == first["id"]
        clock.advance(hours=6)
    assert timeline == [
        (18, "Late Reader", "Due in 3 days: The Dispossessed"),
        (21, "Late Reader", "Overdue: The Dispossessed"),
        (23, "Late Reader", "Overdue: The Dispossessed"),
        (25, "Late Reader", "Overdue: The Dispossessed"),
        (26, "First Waiter", "Ready for you: The Dispossessed"),
        (28, "Second Waiter", "Ready for you: The Dispossessed"),  # the first did not come within 2 days
    ], timeline
    assert len(set(mail.message_ids())) == len(timeline)
    with app.app_context():
        assert db.session.scalar(select(Hold.status).where(Hold.member_id == first["id"])) == "expired"
        # Run again in the same period on another worker: nothing new (each period's run is claimed once,
        # and each scheduled notice exists once per key anyway).
        assert notices.overdue() == 0 and notices.due_soon() == 0


def test_a_renewal_gets_its_own_reminder(app, desk, clock):
    with app.app_context():
        settings.update({"notice_due_soon_days": 2})
    book, (copy,) = desk.book_with_copies(1)
    reader = desk.member(email="r@example.org")
    loan = desk.checkout(copy["barcode"], reader["card_number"]).get_json()
    clock.advance(days=19, hours=1)
    with app.app_context():
        assert notices.due_soon() == 1 and notices.due_soon() == 0
    assert desk.post(f"/api/v1/loans/{loan['id']}/renew").status_code == 200  # due a loan period later: day 42
    clock.advance(days=21)
    with app.app_context():
        assert notices.due_soon() == 1
    assert len(rows(app, kind="due_soon")) == 2


# --- several workers ----------------------------------------------------------------------------------

def test_two_workers_at_once_send_each_notice_once_and_run_each_task_once(app, mail):
    with app.app_context():
        user = account("many@example.org")
        for n in range(120):
            notices.password_reset(user, f"{PUBLIC}/#/reset?t={n}")
        db.session.commit()
    barrier, errors = threading.Barrier(2), []

    def work(name):
        try:
            with app.app_context():
                barrier.wait(30)
                jobs.run_due(name)
                while mailer.send_due(name, limit=7):
                    pass
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert errors == []
    ids = mail.message_ids()
    assert len(ids) == 120 and len(set(ids)) == 120
    with app.app_context():
        from library.models import TaskRun

        runs = db.session.execute(select(TaskRun.name, func.count()).group_by(TaskRun.name)).all()
        assert runs and all(count == 1 for _name, count in runs), runs


def test_an_idle_worker_round_writes_nothing_with_a_mail_server(app, mail):
    with app.app_context():
        user = account("idle@example.org")
        notices.password_reset(user, f"{PUBLIC}/#/reset")
        db.session.commit()
    worker = Worker(app)
    with app.app_context():
        worker.started_at = jobs.clock.now()
        engine = db.engine
    worker.tick()  # sends the notice
    assert len(mail.wait_for(1)) == 1
    assert writes_in_rounds(worker, engine) == []


def test_old_sessions_are_cleaned_up(app, make_user, clock):
    from library.services import auth

    user_id = make_user("member")
    with app.app_context():
        user = db.session.get(User, user_id)
        auth.open_session(user, None)
        clock.advance(hours=1)
        kept, _raw = auth.open_session(user, None)
        db.session.commit()
        clock.advance(hours=12, minutes=30)  # the first is past its 12 hours by more than a day? not yet
        tasks.delete_old_sessions(clock.now)
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 2
        clock.advance(days=1)
        tasks.delete_old_sessions(clock.now)
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_old_password_links_are_cleaned_up(app, make_user, clock):
    """A reset link lives 24 hours: a day after it expired, the daily clean-up deletes it; an open one stays."""
    from library.models import PasswordLink
    from library.services import passwordlinks

    with app.app_context():
        passwordlinks.make_link(db.session.get(User, make_user("member")), "reset")
        db.session.commit()
        clock.advance(days=1, hours=12)  # expired, but not a day ago yet
        passwordlinks.make_link(db.session.get(User, make_user("member")), "welcome")  # 7 days
        db.session.commit()
        tasks.delete_old_sessions(clock.now)
        assert db.session.scalar(select(func.count()).select_from(PasswordLink)) == 2
        clock.advance(days=1)
        tasks.delete_old_sessions(clock.now)
        assert db.session.scalars(select(PasswordLink.purpose)).all() == ["welcome"]


def test_forgot_password_mails_a_working_reset_link(app, make_user, mail):
    """"Forgot your password?" with a mail server: the same answer for any email, a link by e-mail for the
    account that exists, and the link sets the password."""
    make_user("member", email="forgot@example.org", name="Forgetful")
    visitor = app.test_client()
    answers = [visitor.post("/api/v1/auth/reset-requests", json={"email": email}, environ_base={"REMOTE_ADDR": addr})
               for email, addr in (("forgot@example.org", "10.0.0.1"), ("nobody@example.org", "10.0.0.2"))]
    assert [a.status_code for a in answers] == [202, 202] and answers[0].get_json() == answers[1].get_json()
    assert "on its way" in answers[0].get_json()["detail"]
    assert send(app) == 1
    (message,) = mail.wait_for(1)
    assert message["To"].endswith("<forgot@example.org>") or message["To"] == "forgot@example.org"
    link = next(word for word in text_part(message).split() if word.startswith(f"{PUBLIC}/#/reset-password?token="))
    token = link.split("token=", 1)[1]
    response = visitor.post("/api/v1/auth/reset-password", json={"token": token, "new_password": "a brand new passphrase"})
    assert response.status_code == 200, response.get_json()
    login = app.test_client().post("/api/v1/auth/login", json={"email": "forgot@example.org",
                                                                "password": "a brand new passphrase"})
    assert login.status_code == 200
