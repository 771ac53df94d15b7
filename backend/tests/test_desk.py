"""The desk as a library runs it, on SQLite and PostgreSQL: holds wait for a copy to be pulled (the pull list),
capture at the desk, the hold shelf and clearing it, renewals, member lookup, and the staff's lists with CSV."""

import csv
import io
from datetime import timedelta

import pytest

from .test_books import assert_problem
from .test_circulation import clock, code, desk  # noqa: F401 (fixtures)


def rows_of(response):
    assert response.status_code == 200 and response.mimetype == "text/csv", response.get_data(as_text=True)[:300]
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def capture(desk, barcode):
    return desk.post("/api/v1/holds/capture", json={"barcode": barcode})


# --- the pull list ------------------------------------------------------------------------------------

def test_the_pull_list_pairs_waiting_holds_with_copies_on_the_shelf(desk, clock):
    shelved, copies = desk.book_with_copies(2, title="Pulled Book")
    desk.patch(f"/api/v1/copies/{copies[0]['id']}", json={"location": "Fiction", "call_number": "823 ABC"})
    out, (lent,) = desk.book_with_copies(1, title="All Out")
    desk.checkout(lent["barcode"], desk.member()["card_number"])
    members = [desk.member(name=f"Reader {n}", **({"email": "reader1@example.org"} if n == 1 else {})) for n in range(3)]
    holds = []
    for member in members:
        holds.append(desk.hold(shelved["id"], member["card_number"]).get_json())
        clock.advance(minutes=1)
    desk.hold(out["id"], members[0]["card_number"])  # no copy on the shelf: not on the pull list

    page = desk.get("/api/v1/pull-list").get_json()
    assert page["total"] == 2  # two copies on the shelf for three holds: the first two in line
    first, second = page["items"]
    assert (first["hold_id"], first["position"], first["copy_id"]) == (holds[0]["id"], 1, copies[0]["id"])
    assert (first["book_title"], first["location"], first["call_number"]) == ("Pulled Book", "Fiction", "823 ABC")
    assert (first["member_name"], first["barcode"]) == ("Reader 0", copies[0]["barcode"])
    assert (second["hold_id"], second["copy_id"]) == (holds[1]["id"], copies[1]["id"])
    # Staff see who no notice can reach (no e-mail on the card, no account): tell them another way.
    assert (first["member_has_email"], second["member_has_email"]) == (False, True)
    by_shelf = desk.get("/api/v1/pull-list?sort=shelf").get_json()["items"]
    assert [item["copy_id"] for item in by_shelf] == [copies[0]["id"], copies[1]["id"]]  # no shelf goes last
    assert_problem(desk.get("/api/v1/pull-list?sort=nonsense"), 422)

    rows = rows_of(desk.get("/api/v1/pull-list.csv"))
    assert rows[0] == ["placed_at", "title", "call_number", "shelf", "barcode", "member", "card_number"]
    assert [row[4] for row in rows[1:]] == [copies[0]["barcode"], copies[1]["barcode"]]


def test_a_pulled_copy_is_captured_at_the_desk_in_return_mode(desk, clock):
    book, (copy,) = desk.book_with_copies(1)
    member = desk.member(name="Hana Holder")
    hold = desk.hold(book["id"], member["card_number"]).get_json()
    scanned = desk.give_back(copy["barcode"]).get_json()  # the desk's return mode
    assert scanned["action"] == "captured" and scanned["loan"] is None and scanned["cleared"] is None
    assert scanned["hold"]["id"] == hold["id"] and scanned["hold"]["status"] == "ready"
    assert scanned["hold"]["copy_barcode"] == copy["barcode"]
    assert scanned["hold"]["pickup_by"].startswith((clock.now + timedelta(days=7)).date().isoformat())
    assert desk.get(f"/api/v1/copies/{copy['id']}").get_json()["status"] == "on_hold_shelf"
    assert desk.get("/api/v1/pull-list").get_json()["total"] == 0
    again = assert_problem(desk.give_back(copy["barcode"]), 409)["detail"]
    assert "hold shelf for Hana Holder" in again
    loan = desk.checkout(copy["barcode"], member["card_number"])
    assert loan.status_code == 201
    assert desk.get(f"/api/v1/holds/{hold['id']}").get_json()["status"] == "fulfilled"


def test_the_capture_action_and_its_refusals(desk):
    book, (copy, other) = desk.book_with_copies(2)
    assert "not on loan, and nobody is waiting" in assert_problem(desk.give_back(copy["barcode"]), 409)["detail"]
    assert "Nobody is waiting" in assert_problem(capture(desk, copy["barcode"]), 409)["detail"]
    assert desk.get(f"/api/v1/copies/{copy['id']}").get_json()["status"] == "available"  # nothing half-done
    first, second = desk.member(), desk.member()
    h1 = desk.hold(book["id"], first["card_number"]).get_json()
    h2 = desk.hold(book["id"], second["card_number"]).get_json()
    assert capture(desk, other["barcode"]).get_json()["id"] == h1["id"]  # any copy serves the first in line
    assert "not on the shelf" in assert_problem(capture(desk, other["barcode"]), 409)["detail"]
    assert capture(desk, copy["barcode"]).get_json()["id"] == h2["id"]
    assert "barcode" in assert_problem(capture(desk, "NO-SUCH-COPY"), 422)["errors"]
    assert "barcode" in assert_problem(desk.give_back("NO-SUCH-COPY"), 422)["errors"]


def test_a_copy_on_the_pull_list_can_still_be_lent_and_the_hold_waits_for_the_next(desk):
    book, (copy,) = desk.book_with_copies(1)
    holder, walk_in = desk.member(), desk.member()
    hold = desk.hold(book["id"], holder["card_number"]).get_json()
    assert desk.get("/api/v1/pull-list").get_json()["total"] == 1
    assert desk.checkout(copy["barcode"], walk_in["card_number"]).status_code == 201  # found on the shelf
    assert desk.get("/api/v1/pull-list").get_json()["total"] == 0
    assert desk.get(f"/api/v1/holds/{hold['id']}").get_json()["status"] == "waiting"
    returned = desk.give_back(copy["barcode"]).get_json()  # the next copy back is the holder's
    assert returned["action"] == "returned" and returned["hold"]["id"] == hold["id"]


def test_borrowing_a_copy_of_a_book_one_waits_for_fulfils_ones_hold(desk):
    book, (copy,) = desk.book_with_copies(1)
    member = desk.member()
    hold = desk.hold(book["id"], member["card_number"]).get_json()
    assert desk.checkout(copy["barcode"], member["card_number"]).status_code == 201
    assert desk.get(f"/api/v1/holds/{hold['id']}").get_json()["status"] == "fulfilled"


# --- the hold shelf -------------------------------------------------------------------------------------

def test_the_hold_shelf_lists_ready_holds_and_expired_ones_are_cleared(desk, clock):
    book, (copy,) = desk.book_with_copies(1, title="Shelf Book")
    first, second = desk.member(name="Zed First"), desk.member(name="Amy Second")
    h1 = desk.hold(book["id"], first["card_number"]).get_json()
    clock.advance(minutes=1)
    h2 = desk.hold(book["id"], second["card_number"]).get_json()
    other_book, (other_copy,) = desk.book_with_copies(1, title="Another")
    h3 = desk.hold(other_book["id"], second["card_number"]).get_json()
    capture(desk, copy["barcode"])
    clock.advance(days=3)
    capture(desk, other_copy["barcode"])

    shelf = desk.get("/api/v1/hold-shelf").get_json()
    assert [(i["hold_id"], i["expired"]) for i in shelf["items"]] == [(h1["id"], False), (h3["id"], False)]
    assert shelf["items"][0]["barcode"] == copy["barcode"] and shelf["items"][0]["member_name"] == "Zed First"
    assert shelf["items"][0]["member_has_email"] is False  # no address: the desk tells them another way
    by_member = desk.get("/api/v1/hold-shelf?sort=member").get_json()["items"]
    assert [i["member_name"] for i in by_member] == ["Amy Second", "Zed First"]
    assert "cancel it" in assert_problem(desk.post(f"/api/v1/holds/{h1['id']}/clear"), 409)["detail"]

    clock.advance(days=4, minutes=1)  # h1's pickup date has passed, h3's not
    shelf = desk.get("/api/v1/hold-shelf").get_json()["items"]
    assert [(i["hold_id"], i["expired"]) for i in shelf] == [(h1["id"], True), (h3["id"], False)]
    assert [i["hold_id"] for i in desk.get("/api/v1/hold-shelf?expired=true").get_json()["items"]] == [h1["id"]]
    assert [i["hold_id"] for i in desk.get("/api/v1/hold-shelf?expired=false").get_json()["items"]] == [h3["id"]]
    rows = rows_of(desk.get("/api/v1/hold-shelf.csv?expired=true"))
    assert rows[0][:3] == ["pickup_by", "expired", "member"] and rows[1][1:4] == ["true", "Zed First", first["card_number"]]

    # Scanning the expired hold's copy in return mode clears it: the copy now waits for the second in line.
    scanned = desk.give_back(copy["barcode"]).get_json()
    assert scanned["action"] == "cleared" and scanned["cleared"]["id"] == h1["id"]
    assert scanned["cleared"]["status"] == "expired" and scanned["hold"]["id"] == h2["id"]
    assert desk.get(f"/api/v1/holds/{h2['id']}").get_json()["status"] == "ready"
    assert_problem(desk.post(f"/api/v1/holds/{h1['id']}/clear"), 409)

    clock.advance(days=8)  # the second never comes either: clearing sends the copy back to the shelf
    cleared = desk.post(f"/api/v1/holds/{h2['id']}/clear").get_json()
    assert cleared["hold"] is None and cleared["copy"]["status"] == "available"
    assert_problem(desk.post("/api/v1/holds/2147483000/clear"), 404)


def test_the_cli_clears_expired_holds_for_cron(app, desk, clock):
    book, (copy,) = desk.book_with_copies(1)
    hold = desk.hold(book["id"], desk.member()["card_number"]).get_json()
    capture(desk, copy["barcode"])
    clock.advance(days=8)
    result = app.test_cli_runner().invoke(args=["expire-holds"])
    assert "Expired 1 hold(s)." in result.output
    assert desk.get(f"/api/v1/holds/{hold['id']}").get_json()["status"] == "expired"
    assert desk.get(f"/api/v1/copies/{copy['id']}").get_json()["status"] == "available"


# --- renewals ----------------------------------------------------------------------------------------

def test_a_renewal_extends_the_due_date_by_a_loan_period_and_always_moves_it(desk, clock):
    _book, (copy,) = desk.book_with_copies(1)
    member = desk.member()
    loan = desk.checkout(copy["barcode"], member["card_number"]).get_json()
    due = loan["due_at"]
    renewed = desk.post(f"/api/v1/loans/{loan['id']}/renew").get_json()  # on the day of checkout
    assert renewed["due_at"] > due and renewed["renewals"] == 1
    assert renewed["due_at"][:10] == (clock.now + timedelta(days=42)).date().isoformat()
    assert renewed["renewal_due_at"][:10] == (clock.now + timedelta(days=63)).date().isoformat()


def test_an_overdue_loan_that_would_stay_overdue_is_not_renewable(desk, clock, as_role):
    assert as_role("admin").patch("/api/v1/settings", json={"loan_days": 5}).status_code == 200
    _book, (copy,) = desk.book_with_copies(1)
    loan = desk.checkout(copy["barcode"], desk.member()["card_number"]).get_json()
    clock.advance(days=7)  # 2 days overdue: a renewal moves the due date 3 days into the future
    late = desk.get(f"/api/v1/loans/{loan['id']}").get_json()
    assert late["overdue"] and late["renewable"]
    clock.advance(days=4)  # 6 days overdue: even renewed it would be overdue
    late = desk.get(f"/api/v1/loans/{loan['id']}").get_json()
    assert not late["renewable"] and late["renewal_due_at"] is None and "overdue" in late["renewal_refusal"]
    assert "overdue" in assert_problem(desk.post(f"/api/v1/loans/{loan['id']}/renew"), 409)["detail"]


def test_a_suspended_card_cannot_renew(desk):
    _book, (copy,) = desk.book_with_copies(1)
    member = desk.member()
    loan = desk.checkout(copy["barcode"], member["card_number"]).get_json()
    desk.patch(f"/api/v1/members/{member['id']}", json={"status": "suspended"})
    assert "suspended" in assert_problem(desk.post(f"/api/v1/loans/{loan['id']}/renew"), 409)["detail"]


# --- member lookup ---------------------------------------------------------------------------------------

def test_the_desk_finds_members_by_card_in_any_case_and_by_name(desk):
    tag = code("")
    exact = desk.member(card_number=f"DESK-{tag}-1", name="Ada Lovelace")
    desk.member(card_number=f"DESK-{tag}-10", name="Charles Babbage")
    desk.member(card_number=f"X-{tag}", name=f"Ada Byron {tag}")

    def lookup(q):
        return desk.get("/api/v1/members/lookup", query_string={"q": q}).get_json()

    found = lookup(f"desk-{tag}-1")
    assert found["items"][0]["id"] == exact["id"] and found["total"] == 2  # the exact card first, then -10
    assert [m["name"] for m in lookup("lovelace")["items"]] == ["Ada Lovelace"]
    assert [m["name"] for m in lookup("ada byron")["items"]] == [f"Ada Byron {tag}"]  # every word must match
    assert lookup("nobody-by-this-name")["total"] == 0
    assert "q" in assert_problem(desk.get("/api/v1/members/lookup"), 422)["errors"]
    assert desk.checkout(desk.book_with_copies(1)[1][0]["barcode"], f"desk-{tag}-1").get_json()["member_id"] == exact["id"]


# --- staff lists -----------------------------------------------------------------------------------------

def test_loan_lists_sort_filter_and_download(desk, clock):
    ann, bob = desk.member(name="Ann Early"), desk.member(name="Bob Late")
    (b1, (c1,)), (_, (c2,)) = desk.book_with_copies(1, title="Zebra Days"), desk.book_with_copies(1, title="Apple Pie")
    l1 = desk.checkout(c1["barcode"], ann["card_number"]).get_json()
    clock.advance(days=5)
    l2 = desk.checkout(c2["barcode"], bob["card_number"]).get_json()
    clock.advance(days=19)  # l1 overdue by 3 days, l2 due in 2 days

    def ids(**params):
        return [loan["id"] for loan in desk.get("/api/v1/loans", query_string={"active": "true", **params})
                .get_json()["items"] if loan["id"] in (l1["id"], l2["id"])]

    assert ids(sort="due_at") == [l1["id"], l2["id"]] and ids(sort="-due_at") == [l2["id"], l1["id"]]
    assert ids(sort="title") == [l2["id"], l1["id"]] and ids(sort="member") == [l1["id"], l2["id"]]
    assert ids(overdue="true") == [l1["id"]]
    assert ids(member_id=bob["id"]) == [l2["id"]] and ids(book_id=b1["id"]) == [l1["id"]]
    assert_problem(desk.get("/api/v1/loans?sort=color"), 422)

    rows = rows_of(desk.get("/api/v1/loans.csv", query_string={"overdue": "true", "member_id": ann["id"]}))
    assert rows[0] == ["loaned_at", "due_at", "returned_at", "overdue", "days_overdue", "renewals", "title", "barcode",
                       "member", "card_number", "email", "phone"]
    assert [(r[3], r[4], r[6], r[8]) for r in rows[1:]] == [("true", "3", "Zebra Days", "Ann Early")]

    desk.give_back(c1["barcode"])
    # A member's returned loans are their reading history, not the staff's (README, Privacy): the book's list has
    # the returned loan without its member, a member's list has current loans only.
    history = desk.get("/api/v1/loans", query_string={"member_id": ann["id"], "active": "false",
                                                      "sort": "-returned_at"}).get_json()
    assert history["items"] == []
    returned = desk.get("/api/v1/loans", query_string={"book_id": b1["id"], "active": "false"}).get_json()["items"]
    assert [(loan["id"], loan["member_name"]) for loan in returned] == [(l1["id"], None)]
    rows = rows_of(desk.get("/api/v1/loans.csv", query_string={"book_id": b1["id"], "active": "false"}))
    assert len(rows) == 2 and rows[1][2] and rows[1][6] == "Zebra Days" and rows[1][8] == ""  # returned, nobody


def test_a_books_holds_queue_sorts_and_downloads(desk, clock):
    book, _ = desk.book_with_copies(0, title="Queue Book")
    first, second = desk.member(name="Yara Y"), desk.member(name="Ben B")
    h1 = desk.hold(book["id"], first["card_number"]).get_json()
    clock.advance(minutes=5)
    h2 = desk.hold(book["id"], second["card_number"]).get_json()
    queue = desk.get(f"/api/v1/holds?book_id={book['id']}&status=waiting").get_json()["items"]
    assert [(h["id"], h["position"]) for h in queue] == [(h1["id"], 1), (h2["id"], 2)]
    by_member = desk.get(f"/api/v1/holds?book_id={book['id']}&sort=member").get_json()["items"]
    assert [h["id"] for h in by_member] == [h2["id"], h1["id"]]
    rows = rows_of(desk.get(f"/api/v1/holds.csv?book_id={book['id']}"))
    assert rows[0] == ["placed_at", "status", "title", "member", "card_number", "copy_barcode", "pickup_by", "closed_at"]
    assert [(r[1], r[3]) for r in rows[1:]] == [("waiting", "Yara Y"), ("waiting", "Ben B")]


@pytest.mark.parametrize("path", ["/api/v1/pull-list.csv", "/api/v1/hold-shelf.csv", "/api/v1/loans.csv",
                                  "/api/v1/holds.csv", "/api/v1/pull-list", "/api/v1/hold-shelf"])
def test_staff_lists_are_for_staff(as_role, anon, path):
    assert_problem(anon.get(path), 401)
    assert_problem(as_role("member").get(path), 403)


def test_csv_cells_cannot_carry_formulas(desk):
    book, (copy,) = desk.book_with_copies(1, title="=cmd|' /C calc'!A0")
    member = desk.member(name="+Evil Name")
    desk.checkout(copy["barcode"], member["card_number"])
    row = rows_of(desk.get(f"/api/v1/loans.csv?book_id={book['id']}"))[1]
    assert row[6].startswith("'=") and row[8].startswith("'+")


@pytest.mark.parametrize("automatic", [False, True])
def test_the_worker_clears_expired_holds_only_when_the_library_chooses_it(app, desk, clock, as_role, automatic):
    """Off (the default), an expired hold waits on the hold shelf list for staff; on (a setting), the worker's
    periodic task clears it and the copy goes back to the shelf."""
    from library.extensions import db
    from library.services import jobs, tasks  # noqa: F401 - tasks registers the periodic tasks

    book, (copy,) = desk.book_with_copies(1)
    hold = desk.hold(book["id"], desk.member()["card_number"]).get_json()
    capture(desk, copy["barcode"])
    assert as_role("admin").patch("/api/v1/settings", json={"hold_auto_expire": automatic}).status_code == 200
    clock.advance(days=8)
    with app.app_context():
        assert "holds.expire" in jobs.run_due("test-worker")
        db.session.remove()
    expected = ("expired", "available") if automatic else ("ready", "on_hold_shelf")
    assert (desk.get(f"/api/v1/holds/{hold['id']}").get_json()["status"],
            desk.get(f"/api/v1/copies/{copy['id']}").get_json()["status"]) == expected
