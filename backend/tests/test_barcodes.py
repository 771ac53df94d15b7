"""Automatic barcodes and card numbers on SQLite and PostgreSQL: the settings' prefix and a counter, never the same
code twice, also when many ask at once."""

import threading

from .test_books import assert_problem
from .test_circulation import desk  # noqa: F401 (fixture)


def reserve(client, kind="copy"):
    response = client.post("/api/v1/barcodes/next", json={"kind": kind})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["barcode"]


def test_next_codes_follow_the_prefix_and_skip_codes_in_use(desk, as_role):
    assert reserve(desk) == "C000001" and reserve(desk, "card") == "M000001"
    desk.add_copy(desk.book_with_copies(0)[0]["id"], barcode="C000003")  # typed by hand
    assert reserve(desk) == "C000002" and reserve(desk) == "C000004"  # C000003 is skipped
    admin = as_role("admin")
    assert admin.patch("/api/v1/settings", json={"copy_barcode_prefix": "LIB-", "barcode_digits": 4}).status_code == 200
    assert reserve(desk) == "LIB-0005"
    for body in ({"copy_barcode_prefix": "has space"}, {"barcode_digits": 0}, {"card_number_prefix": "x" * 21}):
        assert_problem(admin.patch("/api/v1/settings", json=body), 422)
    assert_problem(desk.post("/api/v1/barcodes/next", json={"kind": "book"}), 422)


def test_copies_and_members_get_the_next_code_when_none_is_given(desk):
    book = desk.book_with_copies(0)[0]
    copy = desk.post(f"/api/v1/books/{book['id']}/copies", json={"location": "Stacks"})
    assert copy.status_code == 201 and copy.get_json()["barcode"] == "C000001"
    member = desk.post("/api/v1/members", json={"name": "Auto Card"})
    assert member.status_code == 201 and member.get_json()["card_number"] == "M000001"


def test_concurrent_allocations_never_repeat_a_code(app, desk):
    """Reservations and copies without a barcode, 24 threads at once (each its own client, as separate requests)."""
    book = desk.book_with_copies(0)[0]
    threads_n, each = 24, 4
    barrier, codes, failures = threading.Barrier(threads_n), [], []
    lock = threading.Lock()

    def work(n):
        racer = app.test_client()
        racer.environ_base.update(desk.environ_base)
        barrier.wait()
        for _ in range(each):
            if n % 2:
                response = racer.post("/api/v1/barcodes/next", json={"kind": "copy"})
                got = response.get_json().get("barcode") if response.status_code == 200 else None
            else:
                response = racer.post(f"/api/v1/books/{book['id']}/copies", json={})
                got = response.get_json().get("barcode") if response.status_code == 201 else None
            with lock:
                (codes if got else failures).append(got or f"{response.status_code} {response.get_data(as_text=True)}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(codes) == threads_n * each and len(set(codes)) == len(codes)
    assert sorted(codes) == [f"C{n:06d}" for n in range(1, threads_n * each + 1)]  # no gaps either
    listed = desk.get(f"/api/v1/books/{book['id']}/copies?per_page=100").get_json()
    assert listed["total"] == threads_n * each // 2


def test_only_staff_reserve_codes(as_role, anon):
    assert_problem(anon.post("/api/v1/barcodes/next", json={"kind": "copy"}), 401)
    assert_problem(as_role("member").post("/api/v1/barcodes/next", json={"kind": "card"}), 403)
