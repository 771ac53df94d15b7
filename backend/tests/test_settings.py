"""Settings on SQLite and PostgreSQL: admins change them in the app, the environment gives the defaults,
circulation follows them at once, each change is audited."""

import re
from pathlib import Path

import pytest

from .test_books import assert_problem
from .test_circulation import desk  # noqa: F401 - the fixture


def test_defaults_come_from_the_environment_until_an_admin_saves_a_value(make_app, as_role):
    app = make_app(LIBRARY_LOAN_DAYS=14, LIBRARY_NAME="Hill School Library", LIBRARY_SELF_REGISTRATION=True)
    anon = app.test_client()
    assert anon.get("/api/v1/settings/public").get_json() == {"library_name": "Hill School Library",
                                                              "self_registration": True}
    assert anon.get("/api/v1/loan-rules").get_json()["loan_days"] == 14


def test_admin_changes_settings_and_each_change_is_audited(as_role, anon):
    admin = as_role("admin")
    before = admin.get("/api/v1/settings").get_json()
    assert before["library_name"] == "Library" and before["loan_days"] == 21
    answer = admin.patch("/api/v1/settings", json={"library_name": "  Riverside Library ", "loan_days": 28,
                                                   "max_renewals": before["max_renewals"]})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["library_name"] == "Riverside Library" and answer.get_json()["loan_days"] == 28
    assert anon.get("/api/v1/settings/public").get_json() == {"library_name": "Riverside Library",
                                                              "self_registration": False}
    assert anon.get("/api/v1/loan-rules").get_json()["loan_days"] == 28
    events = admin.get("/api/v1/audit?action=settings.update").get_json()["items"]
    assert len(events) == 1
    assert events[0]["summary"] == {"library_name": ["Library", "Riverside Library"], "loan_days": [21, 28]}
    assert events[0]["actor_id"] == admin.user_id


def test_a_changed_loan_period_applies_to_the_next_checkout(as_role, desk):  # noqa: F811
    assert as_role("admin").patch("/api/v1/settings", json={"loan_days": 7}).status_code == 200
    _book, (copy,) = desk.book_with_copies(1)
    member = desk.member()
    loan = desk.checkout(copy["barcode"], member["card_number"]).get_json()
    from datetime import datetime

    days = (datetime.fromisoformat(loan["due_at"]) - datetime.fromisoformat(loan["loaned_at"])).days
    assert days == 7


@pytest.mark.parametrize("body, field", [
    ({"loan_days": 0}, "loan_days"),
    ({"loan_days": 366}, "loan_days"),
    ({"loan_days": "7"}, "loan_days"),
    ({"loan_days": 7.5}, "loan_days"),
    ({"library_name": ""}, "library_name"),
    ({"library_name": "x" * 101}, "library_name"),
    ({"library_name": "a\x00b"}, "library_name"),
    ({"max_holds": -1}, "max_holds"),
    ({"nonsense": 1}, "nonsense"),
])
def test_invalid_settings_are_refused_and_nothing_is_saved(as_role, body, field):
    admin = as_role("admin")
    before = admin.get("/api/v1/settings").get_json()
    problem = assert_problem(admin.patch("/api/v1/settings", json=body), 422)
    assert field in problem["errors"]
    assert admin.get("/api/v1/settings").get_json() == before


def test_only_admins_read_or_change_settings(as_role, anon):
    assert_problem(anon.get("/api/v1/settings"), 401)
    assert_problem(as_role("librarian").patch("/api/v1/settings", json={"loan_days": 3}), 403)
    assert_problem(as_role("member").get("/api/v1/settings"), 403)
    assert as_role("admin", scopes=["read", "write"]).get("/api/v1/settings").status_code == 403  # no admin scope


def test_every_setting_is_on_the_settings_page():
    """An admin can change every setting in the app: each REGISTRY entry has a field in the page's table
    (frontend/js/settingsform.js), and the table names no setting the API does not have."""
    from library.services.settings import REGISTRY

    table = (Path(__file__).resolve().parents[2] / "frontend" / "js" / "settingsform.js").read_text()
    keys = set(re.findall(r'\bkey: "([a-z_]+)"', table))
    assert keys == set(REGISTRY)


def test_every_audited_action_has_a_name_on_the_audit_page():
    """The audit trail page names each action the backend records (frontend/js/auditlog.js), rather than
    showing a raw code such as hold.capture."""
    root = Path(__file__).resolve().parents[2]
    recorded = set()
    for module in (root / "backend" / "library").rglob("*.py"):
        recorded |= set(re.findall(r'\brecord\(\s*"([a-z_]+\.[a-z_]+)"', module.read_text()))
    named = set(re.findall(r'"([a-z_]+\.[a-z_]+)": "', (root / "frontend" / "js" / "auditlog.js").read_text()))
    assert recorded and recorded <= named, sorted(recorded - named)
