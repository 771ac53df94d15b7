"""The API in the reader's language (English, French, Spanish): problem details by Accept-Language, the catalogs'
completeness, members' languages, and notices sent in the member's language (on SQLite and PostgreSQL)."""

import csv
import io
import re
from datetime import datetime

import pytest

from library import i18n
from library.extensions import db
from library.models import Member, User
from library.services import notices

from .i18n_messages import every_message
from .test_circulation import desk  # noqa: F401 - the desk fixture
from .test_notices import app, clock, html_part, mail, rows, send, text_part, waiting_hold  # noqa: F401 - fixtures

PLACEHOLDER = re.compile(r"\{[^{}]+\}")


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


# --- the catalogs -------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["fr", "es"])
def test_every_message_the_code_can_produce_has_a_translation(language):
    """The extractor finds each message the app raises (and the libraries' validation messages and HTTP titles);
    each has a translation with the same values in it, and the catalog keeps no message the code no longer has."""
    messages = every_message()
    assert len(messages) > 300 and "No book with id {book_id}." in messages and "Unknown field." in messages
    catalog = i18n.catalog(language)
    missing = sorted(set(messages) - set(catalog.exact))
    assert not missing, f"{len(missing)} messages lack a {language} translation (python -m tests.i18n_messages " \
                        f"{language} prints them): {missing[:5]}"
    for msgid, translation in catalog.exact.items():
        assert sorted(set(PLACEHOLDER.findall(translation))) == sorted(set(PLACEHOLDER.findall(msgid))), msgid
        words = PLACEHOLDER.sub("", msgid).strip(" :;,.()")  # "{field}: {messages}" has none to translate
        assert translation != msgid or msgid == "MARC 21 (ISO 2709)" or not words, msgid
    unused = sorted(set(catalog.exact) - set(messages))
    assert not unused, f"the {language} catalog has messages the code no longer produces: {unused[:5]}"


@pytest.mark.parametrize("header, default, expected", [
    (None, "en", "en"), (None, "fr", "fr"), ("", "es", "es"),
    ("fr", "en", "fr"), ("fr-CA", "en", "fr"), ("es-MX,es;q=0.9", "en", "es"),
    ("de, fr;q=0.5, es;q=0.7", "en", "es"),  # the best the API has, by q-value
    ("es;q=0.2, fr;q=0.9", "en", "fr"), ("en;q=0.1, fr;q=0", "en", "en"),  # q=0: not acceptable
    ("de", "fr", "en"), ("de-AT, ja", "es", "en"),  # names none of them: English
    ("*", "fr", "fr"),
])
def test_the_language_of_an_answer(header, default, expected):
    assert i18n.negotiate(header, default) == expected


def test_translations_put_the_values_in_their_place():
    assert i18n.translate("Copy C000123 is on the hold shelf for Ann Reader until 2026-12-11.", "fr") == \
        "L'exemplaire C000123 est sur l'étagère des réservations pour Ann Reader jusqu'au 2026-12-11."
    assert i18n.translate("Must be greater than or equal to 1 and less than or equal to 100.", "es") == \
        "Debe ser mayor o igual que 1 y menor o igual que 100."
    # the most specific pattern wins over a shorter one that would also match
    assert i18n.translate("The import is previewed; preview it first.", "fr") == \
        "L'import est prévisualisé ; faites-en d'abord un aperçu."
    assert i18n.translate("A message no catalog has.", "fr") == "A message no catalog has."
    assert i18n.translate("No book with id 7.", "en") == "No book with id 7."


def audited_fields() -> dict[str, str]:
    """{field: where} of every field an audit event's summary can name: the audited models' columns and relations
    (as services/audit.py names them), the keys of each audit.record() summary, and the settings."""
    import ast
    from pathlib import Path

    from sqlalchemy import inspect

    from library.services import audit, importer
    from library.services.settings import REGISTRY

    fields = {}
    for model in audit.AUDITED:
        for attr in inspect(model).attrs:
            if attr.key not in audit.SKIP_FIELDS:
                name = attr.key.removesuffix("_hash") if attr.key in audit.SECRET_FIELDS else attr.key
                fields[audit.LABELS.get(name, name)] = model.__name__
    fields.update({"title": "deleted book", "name": "deleted record"})
    root = Path(audit.__file__).resolve().parents[1]
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func) == "audit.record"):
                continue
            where = f"{path.relative_to(root)}:{node.lineno}"
            for keyword in node.keywords:
                if keyword.arg != "summary":
                    continue
                if isinstance(keyword.value, ast.Dict):
                    for key, value in zip(keyword.value.keys, keyword.value.values):
                        if key is None:  # **{name: ... for name in report.COUNTERS}
                            assert "COUNTERS" in ast.unparse(value), where
                            fields.update(dict.fromkeys(importer.Report.COUNTERS, where))
                        else:
                            fields[key.value] = where
                else:  # settings.update: {setting: [old, new]}
                    assert path.name == "settings.py", f"{where}: a summary the test cannot read"
                    fields.update(dict.fromkeys(REGISTRY, where))
    return fields


def test_every_field_the_audit_trail_records_has_a_label_on_its_page():
    """A field without a label is shown by its English name (auditlog.js FIELD_LABELS, or the settings page's label
    for a setting); the labels are translated in both catalogs (node frontend/i18n-keys.mjs checks that)."""
    import json
    from pathlib import Path

    frontend = Path(__file__).resolve().parents[2] / "frontend"
    source = (frontend / "js/auditlog.js").read_text()
    block = source[source.index("const FIELD_LABELS = {"):]
    block = block[:block.index("\n};")]
    labels = dict(re.findall(r'^\s*"?(\w+)"?: msg\("([^"]+)"\)', block, re.MULTILINE))
    settings = set(re.findall(r'key: "(\w+)"', (frontend / "js/settingsform.js").read_text()))
    fields = audited_fields()
    assert {"last_loaned_at", "must_change_password", "retry_after", "copies_added", "loan_days"} <= set(fields)
    missing = {field: where for field, where in fields.items() if field not in labels and field not in settings}
    assert not missing, f"audited fields without a label in frontend/js/auditlog.js FIELD_LABELS: {missing}"
    for language in ("fr", "es"):
        catalog = json.loads((frontend / f"locales/{language}.json").read_text())
        assert all(catalog.get(label) for label in labels.values()), language


# --- problem details ----------------------------------------------------------------------------------

@pytest.mark.parametrize("header, language, title, detail", [
    ("fr", "fr", "Introuvable", "Aucun livre avec l'identifiant 999999."),
    ("fr-CA,fr;q=0.9,en;q=0.5", "fr", "Introuvable", "Aucun livre avec l'identifiant 999999."),
    ("en;q=0.4, es;q=0.8", "es", "No encontrado", "No hay ningún libro con el identificador 999999."),
    ("en", "en", "Not Found", "No book with id 999999."),
    ("de", "en", "Not Found", "No book with id 999999."),
])
def test_problem_details_follow_accept_language(anon, header, language, title, detail):
    response = anon.get("/api/v1/books/999999", headers={"Accept-Language": header})
    body = problem(response, 404)
    assert (body["title"], body["detail"]) == (title, detail)
    assert response.headers["Content-Language"] == language
    assert "Accept-Language" in response.headers["Vary"]


def test_routing_errors_and_authorization_are_translated_too(anon, as_role):
    body = problem(anon.get("/api/v1/no-such-thing", headers={"Accept-Language": "es"}), 404)
    assert body["detail"].startswith("La URL solicitada no existe")
    body = problem(anon.get("/api/v1/members", headers={"Accept-Language": "fr"}), 401)
    assert body["detail"] == "Connectez-vous ou envoyez un jeton bearer."
    body = problem(as_role("member").get("/api/v1/members", headers={"Accept-Language": "es"}), 403)
    assert body["detail"] == "Su rol no permite esto."


def test_field_messages_of_a_422_are_translated_with_their_values(client, as_role):
    french = {"Accept-Language": "fr"}
    body = problem(client.post("/api/v1/members", json={"phone": "1", "shoe_size": 42}, headers=french), 422)
    assert body["detail"] == "La requête contient des champs non valides ; voir errors."
    assert body["errors"]["name"] == ["Champ obligatoire manquant."]
    assert body["errors"]["shoe_size"] == ["Champ inconnu."]
    body = problem(client.post("/api/v1/members", json={"name": "x" * 201, "language": "de"}, headers=french), 422)
    assert body["errors"]["name"] == ["200 caractères au plus."]
    assert body["errors"]["language"] == ["Doit être l'une des valeurs : en, fr, es."]
    body = problem(client.get("/api/v1/books?per_page=1000&page=x", headers={"Accept-Language": "es"}), 422)
    assert body["errors"]["per_page"] == ["Debe ser mayor o igual que 1 y menor o igual que 100."]
    assert body["errors"]["page"] == ["Número entero no válido."]
    admin = as_role("admin")
    body = problem(admin.patch("/api/v1/settings", json={"copy_barcode_prefix": "C" * 21}, headers=french), 422)
    assert body["errors"]["copy_barcode_prefix"] == ["Plus long que la longueur maximale 20."]
    body = problem(admin.patch("/api/v1/settings", json={"copy_barcode_prefix": "C" * 21}), 422)
    assert body["errors"]["copy_barcode_prefix"] == ["Longer than maximum length 20."]


def test_conflicts_with_values_are_translated(desk):
    book, (copy,) = desk.book_with_copies(1, title="Kindred")
    member = desk.member(name="Octavia Reader")
    assert desk.checkout(copy["barcode"], member["card_number"]).status_code == 201
    again = desk.post("/api/v1/loans", json={"barcode": copy["barcode"], "card_number": member["card_number"]},
                      headers={"Accept-Language": "es"})
    assert problem(again, 409)["detail"] == f"El ejemplar {copy['barcode']} ya está prestado."


@pytest.mark.parametrize("kind", sorted(i18n.LABELS))
def test_every_code_said_in_a_sentence_has_a_label_and_the_codes_are_the_models(kind):
    """A status the database allows but LABELS lacks would reach a French reader as its English code."""
    from library.models.circulation import COPY_STATUSES, HOLD_STATUSES
    from library.models.imports import IMPORT_STATES
    from library.models.jobs import JOB_STATES
    from library.models.notices import NOTICE_STATES
    from library.services.marc import COMPRESSED

    codes = {"copy status": COPY_STATUSES, "hold status": HOLD_STATUSES, "import state": IMPORT_STATES,
             "job state": JOB_STATES, "notice state": NOTICE_STATES, "file kind": tuple(COMPRESSED.values()),
             # the fields an imported record's book and copies are checked on (services/records.py)
             "book field": ("title", "subtitle", "authors", "publisher", "published_year", "language", "subjects",
                            "description", "edition", "call_number"),
             "copy field": ("location", "call_number", "notes")}[kind]
    assert set(i18n.LABELS[kind]) == set(codes)
    for language in ("fr", "es"):
        for english in i18n.LABELS[kind].values():
            assert i18n.catalog(language).exact[i18n.context_key(kind, english)]


def test_the_codes_inside_a_conflict_are_said_in_the_readers_language(desk):
    """The status in "Copy C1 is on loan; check it in first." is a word of the sentence, translated with it."""
    french, spanish = {"Accept-Language": "fr"}, {"Accept-Language": "es"}
    book, (copy,) = desk.book_with_copies(1, title="Kindred")
    member = desk.member(name="Octavia Reader")
    assert desk.checkout(copy["barcode"], member["card_number"]).status_code == 201
    barcode = copy["barcode"]
    lost = {"status": "lost"}
    assert problem(desk.patch(f"/api/v1/copies/{copy['id']}", json=lost), 409)["detail"] == \
        f"Copy {barcode} is on loan; check it in first."
    assert problem(desk.patch(f"/api/v1/copies/{copy['id']}", json=lost, headers=french), 409)["detail"] == \
        f"L'exemplaire {barcode} est en prêt ; enregistrez d'abord son retour."
    assert problem(desk.patch(f"/api/v1/copies/{copy['id']}", json=lost, headers=spanish), 409)["detail"] == \
        f"El ejemplar {barcode} está prestado; registre primero su devolución."
    captured = desk.post("/api/v1/holds/capture", json={"barcode": barcode}, headers=french)
    assert problem(captured, 409)["detail"] == f"L'exemplaire {barcode} n'est pas en rayon (en prêt)."

    assert desk.give_back(barcode).status_code == 200
    assert desk.patch(f"/api/v1/copies/{copy['id']}", json=lost).status_code == 200
    scanned = desk.post("/api/v1/returns", json={"barcode": barcode}, headers=spanish)
    assert problem(scanned, 409)["detail"] == f"El ejemplar {barcode} no está prestado (perdido)."

    hold = desk.hold(book["id"], member["card_number"]).get_json()
    assert desk.delete(f"/api/v1/holds/{hold['id']}").status_code == 204
    again = desk.delete(f"/api/v1/holds/{hold['id']}", headers=french)
    assert problem(again, 409)["detail"] == "La réservation est déjà annulée."
    assert problem(desk.delete(f"/api/v1/holds/{hold['id']}", headers=spanish), 409)["detail"] == \
        "La reserva ya está cancelada."
    cleared = desk.post(f"/api/v1/holds/{hold['id']}/clear", headers=french)
    assert problem(cleared, 409)["detail"] == "La réservation est annulée, pas sur l'étagère des réservations."


def test_without_accept_language_the_api_answers_in_the_librarys_language(anon, as_role):
    admin = as_role("admin")
    assert admin.patch("/api/v1/settings", json={"default_language": "es"}).status_code == 200
    assert anon.get("/api/v1/settings/public").get_json()["default_language"] == "es"
    response = anon.get("/api/v1/books/999999")
    assert problem(response, 404)["title"] == "No encontrado" and response.headers["Content-Language"] == "es"
    assert problem(anon.get("/api/v1/books/999999", headers={"Accept-Language": "en"}), 404)["title"] == "Not Found"
    assert problem(admin.patch("/api/v1/settings", json={"default_language": "de"}), 422)["errors"] == {
        "default_language": ["Debe ser uno de: en, fr, es."]}


def test_a_cached_public_answer_serves_no_language_to_another(anon):
    """Public GETs are cached per worker; their bodies hold no translated words, and problems are never cached."""
    first = anon.get("/api/v1/books?per_page=500", headers={"Accept-Language": "fr"})
    second = anon.get("/api/v1/books?per_page=500", headers={"Accept-Language": "es"})
    assert problem(first, 422)["errors"]["per_page"] != problem(second, 422)["errors"]["per_page"]
    assert problem(second, 422)["errors"]["per_page"][0].startswith("Debe ser")
    for language, title in (("fr", "Introuvable"), ("es", "No encontrado"), ("en", "Not Found")):
        assert problem(anon.get("/api/v1/books/424242", headers={"Accept-Language": language}), 404)["title"] == title


def test_a_registration_answer_is_in_the_visitors_language(make_app):
    visitor = make_app(LIBRARY_SELF_REGISTRATION=True).test_client()
    answer = visitor.post("/api/v1/auth/register", headers={"Accept-Language": "fr"},
                          json={"name": "Zoé", "email": "zoe@example.org", "password": "a long enough passphrase"})
    assert answer.status_code == 202 and answer.get_json()["detail"].startswith("Merci. La bibliothèque")


# --- members' languages -------------------------------------------------------------------------------

def test_staff_set_a_members_language_and_the_member_changes_it(client, app, make_user, make_token, as_role):
    created = client.post("/api/v1/members", json={"name": "Amélie", "language": "fr"})
    assert created.status_code == 201 and created.get_json()["language"] == "fr"
    member_id = created.get_json()["id"]
    plain = client.post("/api/v1/members", json={"name": "Ann"}).get_json()
    assert plain["language"] is None  # the library's default
    changed = client.patch(f"/api/v1/members/{member_id}", json={"language": "es"})
    assert changed.status_code == 200 and changed.get_json()["language"] == "es"
    assert problem(client.patch(f"/api/v1/members/{member_id}", json={"language": "de"}), 422)["errors"] == {
        "language": ["Must be one of: en, fr, es."]}

    user_id = make_user("member", email="amelie@example.org")
    assert client.patch(f"/api/v1/members/{member_id}", json={"user_id": user_id}).status_code == 200
    me = app.test_client()
    me.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_token(user_id)}"
    assert me.get("/api/v1/members/me").get_json()["language"] == "es"
    mine = me.patch("/api/v1/members/me", json={"language": "fr"})
    assert mine.status_code == 200 and mine.get_json()["language"] == "fr"
    assert problem(me.patch("/api/v1/members/me", json={"language": "xx"}, headers={"Accept-Language": "fr"}),
                   422)["errors"] == {"language": ["Doit être l'une des valeurs : en, fr, es."]}
    cleared = me.patch("/api/v1/members/me", json={"language": None})
    assert cleared.status_code == 200 and cleared.get_json()["language"] is None
    assert client.get(f"/api/v1/members/{member_id}").get_json()["language"] is None

    events = as_role("admin").get(f"/api/v1/audit?resource_type=member&resource_id={member_id}").get_json()["items"]
    changes = [e["summary"]["language"] for e in events if e["action"] == "member.update" and "language" in e["summary"]]
    assert sorted(map(repr, changes)) == sorted(map(repr, [["fr", "es"], ["es", "fr"], ["fr", None]]))


# --- notices ------------------------------------------------------------------------------------------

def test_a_french_member_is_told_in_french_and_another_in_english(app, desk, mail):
    book, copy, reader = waiting_hold(desk, email="amelie@example.org", language="fr")
    other = desk.member(name="Ann Other", email="ann@example.org")
    assert desk.hold(book["id"], other["card_number"]).status_code == 201
    returned = desk.give_back(copy["barcode"]).get_json()
    new_copy = desk.add_copy(book["id"])
    assert desk.post("/api/v1/holds/capture", json={"barcode": new_copy["barcode"]}).status_code == 200
    assert send(app) == 2
    by_address = {m["To"].split("<")[-1].rstrip(">"): m for m in mail.wait_for(2)}
    french, english = by_address["amelie@example.org"], by_address["ann@example.org"]
    assert french["Subject"] == "Disponible pour vous : The Left Hand of Darkness"
    pickup = datetime.fromisoformat(returned["hold"]["pickup_by"])
    text = text_part(french)
    assert text.startswith("Bonjour Ann Reader,") and "l'étagère des réservations à Riverside Library" in text
    assert f"au plus tard le {i18n.day_text(pickup, 'fr')}" in text
    assert re.search(r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d+ \w+ \d{4}", text)
    assert "Vos prêts et réservations" in html_part(french)
    assert english["Subject"] == "Ready for you: The Left Hand of Darkness"
    assert text_part(english).startswith("Hello Ann Other,")


def test_notices_follow_the_librarys_language_for_members_without_one(app, desk, as_role, clock):
    assert as_role("admin").patch("/api/v1/settings", json={"default_language": "es"}).status_code == 200
    book, (copy,) = desk.book_with_copies(1, title="Cien años de soledad")
    member = desk.member(name="Gabo", email="gabo@example.org")
    english = desk.member(name="Ann", email="ann@example.org", language="en")
    assert desk.checkout(copy["barcode"], member["card_number"]).status_code == 201
    other_book, (other_copy,) = desk.book_with_copies(1, title="Middlemarch")
    assert desk.checkout(other_copy["barcode"], english["card_number"]).status_code == 201
    clock.advance(days=25)  # 4 days after the due date
    with app.app_context():
        assert notices.overdue() == 2
    subjects = {n.to_address: (n.subject, n.body_text) for n in rows(app, kind="overdue")}
    subject, text = subjects["gabo@example.org"]
    assert subject == "Préstamo vencido: Cien años de soledad"
    assert text.startswith("Hola, Gabo:") and "(hace 4 días)" in text and " de 2026" in text
    assert subjects["ann@example.org"][0] == "Overdue: Middlemarch"


def test_a_password_reset_goes_in_the_members_language_and_to_staff_in_the_librarys(app, desk, make_user, as_role,
                                                                                   mail):
    member_user = make_user("member", email="lea@example.org", name="Léa")
    assert desk.member(name="Léa", user_id=member_user, language="fr")["language"] == "fr"
    staff_user = make_user("librarian", email="staff@example.org", name="Sam")
    assert as_role("admin").patch("/api/v1/settings", json={"default_language": "es"}).status_code == 200
    with app.app_context():
        notices.password_reset(db.session.get(User, member_user), "http://library.test/#/reset?token=a")
        notices.password_reset(db.session.get(User, staff_user), "http://library.test/#/reset?token=b")
        db.session.commit()
    assert send(app) == 2
    by_address = {m["To"].split("<")[-1].rstrip(">"): m for m in mail.wait_for(2)}
    assert by_address["lea@example.org"]["Subject"] == "Réinitialiser votre mot de passe à Riverside Library"
    assert "dans un délai de 1\xa0heure pour en choisir un nouveau" in text_part(by_address["lea@example.org"])
    assert by_address["staff@example.org"]["Subject"] == "Restablezca su contraseña de Riverside Library"
    assert "en un plazo de 1 hora" in text_part(by_address["staff@example.org"]).replace("\xa0", " ")


def test_templates_are_edited_per_language(app, as_role, desk, mail):
    admin = as_role("admin")
    french = admin.get("/api/v1/notice-templates/hold_ready?language=fr").get_json()
    assert (french["language"], french["customized"]) == ("fr", False)
    assert french["subject"] == "Disponible pour vous : {{ title }}"
    assert {v["name"]: v["example"] for v in french["variables"]}["pickup_by"] == "vendredi 11 décembre 2026"
    listed = admin.get("/api/v1/notice-templates?language=es").get_json()
    assert {t["language"] for t in listed} == {"es"} and listed[1]["subject"].startswith("Vence")
    # The page's own words (the kind's label, what each variable holds) follow the reader, not the template.
    read_in_french = admin.get("/api/v1/notice-templates/hold_ready?language=es",
                               headers={"Accept-Language": "fr"}).get_json()
    assert read_in_french["label"] == "Réservation prête à retirer"
    assert {v["name"]: v["description"] for v in read_in_french["variables"]}["title"] == "Le titre du livre"
    assert read_in_french["subject"] == "Listo para usted: {{ title }}"  # the Spanish template itself
    in_english = admin.get("/api/v1/notice-templates/hold_ready", headers={"Accept-Language": "en"}).get_json()
    assert in_english["label"] == "Hold ready for pickup"

    english = {"subject": "Collect {{ title }}", "body_text": "By {{ pickup_by }}.", "body_html": "<p>{{ title }}</p>"}
    assert admin.put("/api/v1/notice-templates/hold_ready", json=english).get_json()["language"] == "en"
    assert admin.get("/api/v1/notice-templates/hold_ready?language=fr").get_json()["customized"] is False
    body = {"subject": "À retirer : {{ title }}", "body_text": "Avant le {{ pickup_by }}.", "body_html": "<p>{{ title }}</p>"}
    preview = admin.post("/api/v1/notice-templates/hold_ready/preview?language=fr", json=body).get_json()
    assert preview["body_text"] == "Avant le vendredi 11 décembre 2026."
    saved = admin.put("/api/v1/notice-templates/hold_ready?language=fr", json=body).get_json()
    assert (saved["language"], saved["customized"], saved["subject"]) == ("fr", True, body["subject"])
    assert admin.get("/api/v1/notice-templates/hold_ready").get_json()["subject"] == "Collect {{ title }}"
    assert problem(admin.get("/api/v1/notice-templates/hold_ready?language=de"), 422)["errors"]["language"]

    _book, copy, _reader = waiting_hold(desk, email="amelie@example.org", language="fr")
    assert desk.give_back(copy["barcode"]).get_json()["hold"]  # captured for the French member
    assert send(app) == 1
    (message,) = mail.wait_for(1)
    assert message["Subject"] == "À retirer : The Left Hand of Darkness"

    assert admin.delete("/api/v1/notice-templates/hold_ready?language=fr").status_code == 204
    assert admin.get("/api/v1/notice-templates/hold_ready?language=fr").get_json()["customized"] is False
    assert admin.get("/api/v1/notice-templates/hold_ready").get_json()["customized"] is True
    events = admin.get("/api/v1/audit?action=notice_template.update").get_json()["items"]
    assert {e["summary"]["language"] for e in events} == {"en", "fr"}


def test_the_migration_keeps_existing_templates_as_english(app):
    """0018_languages: templates saved before languages existed become the English ones (down and up again);
    the database refuses a language it does not know."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from library.models import NoticeTemplate

    with app.app_context():
        downgrade(revision="0016_notices")
        db.session.execute(text("INSERT INTO notice_template (kind, subject, body_text, body_html, updated_at) "
                                "VALUES ('overdue', 'Late: {{ title }}', 't', 'h', CURRENT_TIMESTAMP)"))
        db.session.commit()
        upgrade()
        row = db.session.get(NoticeTemplate, ("overdue", "en"))
        assert row is not None and row.subject == "Late: {{ title }}"
        db.session.add(NoticeTemplate(kind="overdue", language="fr", subject="s", body_text="t", body_html="h"))
        db.session.commit()
        db.session.add(Member(name="X", card_number="LANG-1", language="de"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.add(NoticeTemplate(kind="overdue", language="de", subject="s", body_text="t", body_html="h"))
        with pytest.raises(IntegrityError):
            db.session.commit()


# --- import reports -----------------------------------------------------------------------------------

BAD_ROWS = ("title,authors,isbn,barcodes\n"
            ",Nobody,,N-1\n"
            "Plus,Writer,bad-isbn,F-2\n"
            "Good,Writer,,G 1\n"
            "Fine,Writer,,F-9\n").encode()
ENGLISH_WORDS = re.compile(r"\b(the|must|copy|barcode|title|left out|letters|digits|not valid|use digits|hyphens)\b")


def test_an_import_report_is_read_in_the_readers_language(app, client):
    """Problems and warnings are stored in English and answered in the reader's language, reports stored before
    included; the rejected records' problems follow the request's language too."""
    from library.models import BookImport

    from .test_imports import commit, run_jobs, upload

    imp = upload(client, BAD_ROWS, filename="bad.csv", content_type="text/csv").get_json()
    assert client.post(f"/api/v1/imports/{imp['id']}/preview", json={}).status_code == 202
    run_jobs(app)

    def report(language, part="preview"):
        shown = client.get(f"/api/v1/imports/{imp['id']}", headers={"Accept-Language": language}).get_json()[part]
        return [p["reasons"] for p in shown["problems"]], [w["message"] for w in shown["warnings_shown"]]

    assert report("en") == ([["title: Must not be empty."], ["isbn: Not a valid ISBN: use digits (X only as an "
                                                               "ISBN-10 check digit), hyphens and spaces. (bad-isbn)"]],
                            ["copy 1 (G 1): barcode must be at most 50 letters, digits and . _ / -; the copy was left "
                             "out."])
    assert report("fr") == ([["titre : Ne doit pas être vide."],
                             ["ISBN : ISBN non valide : utilisez des chiffres (X seulement comme chiffre de contrôle "
                              "d'un ISBN-10), des tirets et des espaces. (bad-isbn)"]],
                            ["exemplaire 1 (G 1) : le code-barres doit compter au plus 50 lettres, chiffres et . _ / - "
                             "; l'exemplaire a été laissé de côté."])
    problems, warnings = report("es")
    assert problems[0] == ["título: No puede estar vacío."] and warnings[0].startswith("ejemplar 1 (G 1): el código")
    for text in [*sum(problems, []), *warnings]:
        assert not ENGLISH_WORDS.search(text.replace("(bad-isbn)", "")), text

    done = commit(app, client, client.get(f"/api/v1/imports/{imp['id']}").get_json())
    assert done["result"]["invalid"] == 2
    assert report("fr", "result")[0][0] == ["titre : Ne doit pas être vide."]
    rejected = client.get(f"/api/v1/imports/{imp['id']}/rejected", headers={"Accept-Language": "fr"})
    rows = list(csv.reader(io.StringIO(rejected.get_data(as_text=True))))
    assert rows[0][-1] == "import_problems" and rows[1][-1] == "titre : Ne doit pas être vide."
    rows = list(csv.reader(io.StringIO(client.get(f"/api/v1/imports/{imp['id']}/rejected").get_data(as_text=True))))
    assert rows[1][-1] == "title: Must not be empty."  # no Accept-Language: the library's language

    # A report stored before (the same English text) reads the same; text no catalog knows is shown as it is.
    with app.app_context():
        stored = db.session.get(BookImport, imp["id"])
        stored.preview = {**stored.preview, "problems": [{"record": 9, "line": 10, "title": "Old", "reasons": [
            "the row is not valid UTF-8 (save the file as UTF-8 and import it again)", "a reason from elsewhere"]}]}
        db.session.commit()
    assert report("fr")[0] == [["la ligne n'est pas en UTF-8 valide (enregistrez le fichier en UTF-8 et importez-le "
                                "de nouveau)", "a reason from elsewhere"]]


def test_a_failed_import_says_why_in_the_readers_language(app, client):
    from .test_imports import mf, run_jobs, upload

    imp = upload(client, mf.billion_laughs(), filename="laughs.xml", content_type="application/xml").get_json()
    run_jobs(app)
    shown = client.get(f"/api/v1/imports/{imp['id']}", headers={"Accept-Language": "es"}).get_json()
    assert shown["state"] == "failed" and shown["error"].startswith("El archivo XML declara una DTD o entidades")
    assert shown["job"]["error"] == shown["error"]
    assert client.get(f"/api/v1/imports/{imp['id']}").get_json()["error"].startswith("The XML file declares")
