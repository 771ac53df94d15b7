"""Circulation under concurrency, through the real topology (SECURITY-CHECKLIST 2.4; X-01, X-03 to X-07).

Every race goes over real HTTP through nginx to gunicorn (4 sync workers), once on PostgreSQL (the session
`stack`) and once on SQLite (a second stack, module-scoped, on a database file). The requests of a race
each have their own TCP connection (opened first, `Connection: close`), wait on a threading.Barrier and
are then sent together, so they spread over the workers. The caller is a librarian with a bearer token
(`flask create-token`), so no CSRF token nor login rate limit is involved.

Each test runs a few rounds on fresh rows (uuid barcodes and card numbers), collects every anomaly, prints
a one-line summary (visible with -s) and then fails if any round broke an invariant.
"""

import http.client
import json
import re
import shutil
import socket
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import require
from tests.stack import Stack

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
RACE_TIMEOUT = 30  # seconds: a barrier, a request or a thread that takes longer is a failure, not a hang
BACKSTOP_DETAIL = "The request conflicts with existing data."  # library.errors' IntegrityError handler
LOG_ERROR = re.compile(r"Traceback|database is locked|OperationalError|deadlock detected|"
                       r"could not serialize|WORKER TIMEOUT|\[CRITICAL\]|\[ERROR\]")


@dataclass
class Result:
    status: int | None  # None: no HTTP answer (connection error, timeout)
    body: object
    content_type: str
    latency: float  # seconds, from the request being sent to the whole response read
    sent: float  # time.perf_counter() when the request was sent
    error: str | None = None

    @property
    def detail(self):
        return self.body.get("detail", "") if isinstance(self.body, dict) else str(self.body)[:200]

    def brief(self):
        return f"{self.status} {self.detail or self.error or ''}".strip()


class Desk:
    """A librarian at the circulation desk of one stack, calling the API with a bearer token."""

    def __init__(self, stack, engine):
        self.stack, self.engine = stack, engine
        email = stack.users["librarian"][0]
        out = stack.flask("create-token", email, "--name", "races", "--scopes", "read,write")
        self.token = out.split()[-1]
        parts = urlsplit(stack.url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        self._local = threading.local()
        self.backstops = 0  # 409s from the IntegrityError handler (a unique index stopped it, not the service)
        self._pool = ThreadPoolExecutor(8, thread_name_prefix="desk")

    def close(self):
        self._pool.shutdown(wait=True)

    # --- the gunicorn log: errors the answers may hide, and which workers served the races -------------

    def log_mark(self):
        """Where the gunicorn log ends now, and how many backstop 409s were seen so far."""
        path = self.stack.gunicorn_log
        return path.stat().st_size if path.exists() else 0, self.backstops

    def log_since(self, mark):
        with open(self.stack.gunicorn_log, "rb") as log:
            log.seek(mark[0])
            return log.read().decode(errors="replace")

    @staticmethod
    def log_errors(text):
        """Lines of a gunicorn log that show a database or worker failure."""
        return [line for line in text.splitlines() if LOG_ERROR.search(line)]

    @staticmethod
    def workers(text, path):
        """The gunicorn worker pids that answered POST path, per the access log."""
        return set(re.findall(rf'"POST {re.escape(API + path)} HTTP/[\d.]+" \d+ .* worker=<?(\d+)', text))

    # --- set-up and checks: keep-alive sessions, one per thread ---------------------------------------

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers.update(self.headers)
        return session

    def call(self, method, path, body=None, params=None):
        return self._session().request(method, self.stack.url + API + path, json=body, params=params, timeout=30)

    def ok(self, method, path, body=None, params=None, expect=200):
        response = self.call(method, path, body, params)
        assert response.status_code == expect, f"{method} {path} {body or params or ''}: " \
                                                f"{response.status_code} {response.text[:300]}"
        return response.json()

    def get(self, path, **params):
        return self.ok("GET", path, params=params)

    def parallel(self, fn, items):
        return list(self._pool.map(fn, items))

    def book(self, label="Race"):
        return self.ok("POST", "/books", {"title": f"{label} {uuid.uuid4().hex[:10]}"}, expect=201)["id"]

    def copy(self, book_id):
        barcode = f"RC-{uuid.uuid4().hex[:16]}"
        made = self.ok("POST", f"/books/{book_id}/copies", {"barcode": barcode}, expect=201)
        return {"id": made["id"], "barcode": barcode, "status": made["status"], "book_id": book_id}

    def member(self, _=None):
        card = f"M-{uuid.uuid4().hex[:16]}"
        made = self.ok("POST", "/members", {"card_number": card, "name": f"Racer {card[-6:]}"}, expect=201)
        return {"id": made["id"], "card": card}

    def members(self, n):
        return self.parallel(self.member, range(n))

    def checkout(self, barcode, card):
        return self.ok("POST", "/loans", {"barcode": barcode, "card_number": card}, expect=201)

    def hold(self, book_id, card):
        return self.ok("POST", "/holds", {"book_id": book_id, "card_number": card}, expect=201)

    def active_loans(self, copy_id):
        return self.get("/loans", copy_id=copy_id, active="true")

    def all_loans(self, copy_id):
        return self.get("/loans", copy_id=copy_id, per_page=100)

    def copy_status(self, copy_id):
        return self.get(f"/copies/{copy_id}")["status"]

    # --- races ------------------------------------------------------------------------------------

    def abandon(self, method, path, body, after):
        """Send a request and hang up `after` seconds later without reading the answer (a client timeout)."""
        payload = json.dumps(body).encode()
        head = (f"{method} {API}{path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Authorization: {self.headers['Authorization']}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode()
        with socket.create_connection((self.host, self.port), timeout=RACE_TIMEOUT) as sock:
            sock.sendall(head + payload)
            time.sleep(after)

    def race(self, calls, delays=None):
        """Send calls [(method, path, body)] at once, each on its own connection; return a Result each.

        Every thread connects first, then waits on the barrier; delays[i] > 0 (seconds) sends call i that
        long after the first request went out (for double submits)."""
        barrier = threading.Barrier(len(calls), timeout=RACE_TIMEOUT)
        first_sent = threading.Event()
        results = [None] * len(calls)
        headers = {**self.headers, "Content-Type": "application/json", "Connection": "close"}

        def one(i, method, path, body):
            sent = time.perf_counter()
            conn = http.client.HTTPConnection(self.host, self.port, timeout=RACE_TIMEOUT)
            try:
                conn.connect()
                barrier.wait()
                if delays and delays[i]:
                    first_sent.wait(RACE_TIMEOUT)
                    time.sleep(delays[i])
                payload = None if body is None else json.dumps(body)
                sent = time.perf_counter()
                first_sent.set()
                conn.request(method, API + path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
                latency = time.perf_counter() - sent
                content_type = (response.getheader("Content-Type") or "").split(";")[0]
                try:
                    parsed = json.loads(data) if data else None
                except ValueError:
                    parsed = data.decode(errors="replace")
                results[i] = Result(response.status, parsed, content_type, latency, sent)
            except Exception as exc:  # noqa: BLE001 - recorded and asserted on by the caller
                results[i] = Result(None, None, "", time.perf_counter() - sent, sent, f"{type(exc).__name__}: {exc}")
            finally:
                conn.close()

        threads = [threading.Thread(target=one, args=(i, *call), daemon=True) for i, call in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(RACE_TIMEOUT + 5)
        for i, result in enumerate(results):
            if result is None:
                results[i] = Result(None, None, "", RACE_TIMEOUT, 0.0, "the thread did not finish")
        self.backstops += sum(r.status == 409 and r.detail == BACKSTOP_DETAIL for r in results)
        return results


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def desk(request, tmp_path_factory):
    """A Desk on the session stack (PostgreSQL), then on a stack of its own on a SQLite file."""
    if request.param == "postgresql":
        desk = Desk(request.getfixturevalue("stack"), "postgresql")
        yield desk
        desk.close()
        return
    require(shutil.which("nginx") is not None, "nginx is not installed (apt-get install nginx)")
    folder = tmp_path_factory.mktemp("races-sqlite")
    path = (folder / "library.db").resolve()
    stack = Stack(f"sqlite:///{path}")  # an absolute path: sqlite:////tmp/...
    try:
        stack.flask("db", "upgrade")
        stack.create_users()
        stack.start_backend()
        stack.start_nginx()
    except (RuntimeError, TimeoutError) as exc:
        tails = stack.log_tails()
        stack.close()
        pytest.fail(f"the SQLite stack did not start: {exc}\n{tails}", pytrace=False)
    failed_before = request.session.testsfailed
    desk = None
    try:
        desk = Desk(stack, "sqlite")
        yield desk
    finally:
        if desk is not None:
            desk.close()
        if request.session.testsfailed > failed_before:
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_sep("-", "SQLite stack logs")
                reporter.write_line(stack.log_tails())
        stack.close()
        shutil.rmtree(folder, ignore_errors=True)


def report(desk, check, started, rounds, per_round, latencies, extra="", *, problems, mark, path):
    """Print the one-line summary, then fail on any anomaly, including errors in the gunicorn log."""
    log = desk.log_since(mark)
    problems += [f"gunicorn log: {line}" for line in desk.log_errors(log)]
    worst = max(latencies, default=0.0) * 1000
    # The app's INFO lines ("integrity error: ...") never reach gunicorn's log, so count the generic 409s instead.
    backstop = desk.backstops - mark[1]
    print(f"\n[{desk.engine}] {check}: {rounds} rounds; {per_round}; max latency {worst:.0f} ms; "
          f"POST {path} served by {len(desk.workers(log, path))} worker pids; {backstop} x 409 from the IntegrityError backstop; "
          f"{time.monotonic() - started:.1f} s"
          f"{'; ' + extra if extra else ''}", flush=True)
    assert not problems, f"[{desk.engine}] {check}: {len(problems)} anomalies:\n" + "\n".join(problems[:30])


def bad_results(results, allowed):
    """Answers that are neither an allowed status nor a well-formed problem for 4xx."""
    problems = []
    for i, result in enumerate(results):
        if result.status not in allowed:
            problems.append(f"request {i}: {result.brief()}")
        elif result.status >= 400 and result.content_type != PROBLEM_JSON:
            problems.append(f"request {i}: {result.status} with Content-Type {result.content_type!r}")
    return problems


# --- X-01 -------------------------------------------------------------------------------------------

X01_ROUNDS, X01_CLIENTS = 20, 50
X01_BUDGET = 60  # seconds per engine: no new round starts after this (the summary shows the rounds run)


def test_x01_last_copy_goes_to_exactly_one_of_50(desk):
    started, problems, latencies, wins = time.monotonic(), [], [], []
    mark = desk.log_mark()
    setup = racing = 0.0
    rounds = 0
    for rnd in range(X01_ROUNDS):
        if time.monotonic() - started > X01_BUDGET:
            break
        rounds += 1
        t0 = time.monotonic()
        copy = desk.copy(desk.book("Last copy"))
        members = desk.members(X01_CLIENTS)
        t1 = time.monotonic()
        setup += t1 - t0
        results = desk.race([("POST", "/loans", {"barcode": copy["barcode"], "card_number": m["card"]})
                             for m in members])
        racing += time.monotonic() - t1
        latencies += [r.latency for r in results]
        statuses = Counter(r.status for r in results)
        wins.append(statuses[201])
        where = f"round {rnd}"
        problems += [f"{where}: {p}" for p in bad_results(results, {201, 409})]
        if statuses[201] != 1 or statuses[409] != X01_CLIENTS - 1:
            problems.append(f"{where}: statuses {dict(statuses)}, expected 1 x 201 and {X01_CLIENTS - 1} x 409")
        active = desk.active_loans(copy["id"])
        status = desk.copy_status(copy["id"])
        if active["total"] != 1 or status != "on_loan":
            problems.append(f"{where}: {active['total']} active loans, copy {status} (expected 1, on_loan)")
        winners = [r.body for r in results if r.status == 201]
        if len(winners) == 1 and active["items"] and active["items"][0]["id"] != winners[0]["id"]:
            problems.append(f"{where}: the active loan {active['items'][0]['id']} is not the 201's {winners[0]['id']}")
        if desk.all_loans(copy["id"])["total"] != statuses[201]:
            problems.append(f"{where}: loans for the copy {desk.all_loans(copy['id'])['total']} != 201s {statuses[201]}")
    report(desk, "X-01 last copy", started, rounds,
           f"{X01_CLIENTS} checkouts each, 201s per round {sorted(Counter(wins).items())}", latencies,
           f"set-up {setup:.1f} s, races {racing:.1f} s",
           problems=problems, mark=mark, path="/loans")


# --- X-04 -------------------------------------------------------------------------------------------

X04_ROUNDS, X04_COPIES = 5, 10


def test_x04_member_limit_holds_under_10_simultaneous_checkouts(desk):
    limit = desk.get("/loan-rules")["max_loans"]
    assert limit == 5, f"the stack should run with the default max_loans 5, not {limit}"
    started, problems, latencies, wins = time.monotonic(), [], [], []
    mark = desk.log_mark()
    for rnd in range(X04_ROUNDS):
        member = desk.member()
        copies = desk.parallel(lambda _: desk.copy(desk.book("Limit")), range(X04_COPIES))
        results = desk.race([("POST", "/loans", {"barcode": c["barcode"], "card_number": member["card"]})
                             for c in copies])
        latencies += [r.latency for r in results]
        statuses = Counter(r.status for r in results)
        wins.append(statuses[201])
        where = f"round {rnd}"
        problems += [f"{where}: {p}" for p in bad_results(results, {201, 409})]
        if statuses[201] != limit or statuses[409] != X04_COPIES - limit:
            problems.append(f"{where}: statuses {dict(statuses)}, expected {limit} x 201 and "
                            f"{X04_COPIES - limit} x 409")
        for r in results:
            if r.status == 409 and "Limit reached" not in r.detail:
                problems.append(f"{where}: a 409 that is not the loan limit: {r.detail!r}")
        active = desk.get("/loans", member_id=member["id"], active="true")["total"]
        shown = desk.get(f"/members/{member['id']}")["active_loans"]
        if active != limit or shown != limit:
            problems.append(f"{where}: the member has {active} active loans (members/{member['id']} says {shown}), "
                            f"expected {limit}")
        lent = {r.body["copy_id"] for r in results if r.status == 201}
        for c in copies:
            expected = "on_loan" if c["id"] in lent else "available"
            if (status := desk.copy_status(c["id"])) != expected:
                problems.append(f"{where}: copy {c['id']} is {status}, expected {expected}")
    report(desk, "X-04 member limit", started, X04_ROUNDS,
           f"{X04_COPIES} checkouts by one member each, 201s per round {wins}", latencies,
           problems=problems, mark=mark, path="/loans")


# --- X-03 -------------------------------------------------------------------------------------------

X03_ROUNDS, X03_CLIENTS = 20, 10


def test_x03_return_racing_checkouts_leaves_a_consistent_copy(desk):
    started, problems, latencies = time.monotonic(), [], []
    mark = desk.log_mark()
    won, overlaps = 0, 0
    for rnd in range(X03_ROUNDS):
        copy = desk.copy(desk.book("Return race"))
        first, *others = desk.members(1 + X03_CLIENTS)
        loan = desk.checkout(copy["barcode"], first["card"])
        calls = [("POST", "/returns", {"barcode": copy["barcode"]})]
        calls += [("POST", "/loans", {"barcode": copy["barcode"], "card_number": m["card"]}) for m in others]
        results = desk.race(calls)
        latencies += [r.latency for r in results]
        ret, outs = results[0], results[1:]
        where = f"round {rnd}"
        problems += [f"{where}: return: {p}" for p in bad_results([ret], {200})]
        problems += [f"{where}: checkout {p}" for p in bad_results(outs, {201, 409})]
        winners = [r.body for r in outs if r.status == 201]
        if ret.status == 200 and ret.body["loan"]["id"] != loan["id"]:
            problems.append(f"{where}: the return closed loan {ret.body['loan']['id']}, not {loan['id']}")
        if len(winners) > 1:
            problems.append(f"{where}: {len(winners)} checkouts succeeded")
        if winners and ret.status != 200:
            problems.append(f"{where}: a checkout succeeded although the return did not ({ret.brief()})")
        active = desk.active_loans(copy["id"])
        status = desk.copy_status(copy["id"])
        if not ((status == "on_loan" and active["total"] == 1) or (status == "available" and active["total"] == 0)):
            problems.append(f"{where}: inconsistent: copy {status} with {active['total']} active loans")
        if winners:
            won += 1
            if active["total"] != 1 or active["items"][0]["id"] != winners[0]["id"]:
                problems.append(f"{where}: the active loans {[i['id'] for i in active['items']]} are not the "
                                f"winner's {winners[0]['id']}")
            if ret.status == 200 and winners[0]["loaned_at"] < ret.body["loan"]["returned_at"]:
                overlaps += 1  # timestamps taken before the row lock: reported, not a failure (see the summary)
        elif status != "available":
            problems.append(f"{where}: no checkout succeeded but the copy is {status}")
        total = desk.all_loans(copy["id"])["total"]
        if total != 1 + len(winners):
            problems.append(f"{where}: {total} loans for the copy, expected {1 + len(winners)} (orphans?)")
    report(desk, "X-03 return vs 10 checkouts", started, X03_ROUNDS,
           f"a checkout won in {won} rounds, the return first and nobody after in {X03_ROUNDS - won}", latencies,
           f"winner's loaned_at earlier than the return's returned_at in {overlaps}",
           problems=problems, mark=mark, path="/loans")


# --- X-05 -------------------------------------------------------------------------------------------

X05_ROUNDS = 10
HOLD_GAP = 0.05  # seconds between placing the two holds, so their placed_at differ


def _book_with_copies_on_loan(desk, n):
    book = desk.book("Holds")
    copies = [desk.copy(book) for _ in range(n)]
    for copy, borrower in zip(copies, desk.members(n)):
        desk.checkout(copy["barcode"], borrower["card"])
    return book, copies


def _place_two_holds(desk, book):
    holders = desk.members(2)
    holds = []
    for holder in holders:
        holds.append(desk.hold(book, holder["card"]))
        time.sleep(HOLD_GAP)
    return holds


def test_x05_two_returns_capture_two_copies_for_two_holds(desk):
    started, problems, latencies = time.monotonic(), [], []
    mark = desk.log_mark()
    for rnd in range(X05_ROUNDS):
        book, copies = _book_with_copies_on_loan(desk, 2)
        holds = _place_two_holds(desk, book)
        where = f"round {rnd}"
        if [h["status"] for h in holds] != ["waiting", "waiting"]:
            problems.append(f"{where}: holds placed as {[h['status'] for h in holds]}, expected waiting")
        results = desk.race([("POST", "/returns", {"barcode": c["barcode"]}) for c in copies])
        latencies += [r.latency for r in results]
        problems += [f"{where}: {p}" for p in bad_results(results, {200})]
        captured = [r.body["hold"]["id"] if r.status == 200 and r.body["hold"] else None for r in results]
        if None in captured or len(set(captured)) != 2:
            problems.append(f"{where}: the returns captured holds {captured}, expected two different ones")
        queue = desk.get("/holds", book_id=book)["items"]
        states = {h["id"]: (h["status"], h["copy_id"]) for h in queue}
        copy_ids = sorted(c["id"] for c in copies)
        if sorted(s for s, _ in states.values()) != ["ready", "ready"] or \
                sorted(c for _, c in states.values() if c is not None) != copy_ids:
            problems.append(f"{where}: holds {states}, expected both ready with copies {copy_ids}")
        for c in copies:
            if (status := desk.copy_status(c["id"])) != "on_hold_shelf":
                problems.append(f"{where}: copy {c['id']} is {status}, expected on_hold_shelf")
    report(desk, "X-05 2 returns / 2 holds", started, X05_ROUNDS, "2 returns at once each", latencies,
           problems=problems, mark=mark, path="/returns")


X05_RETURNS = 20


def test_x05_twenty_returns_of_one_copy_serve_the_first_hold_only(desk):
    """The checklist's X-05: a copy with 2 pending holds is checked in 20 times in parallel."""
    started, problems, latencies = time.monotonic(), [], []
    mark = desk.log_mark()
    rounds = X05_ROUNDS // 2
    for rnd in range(rounds):
        book, (copy,) = _book_with_copies_on_loan(desk, 1)
        first, second = _place_two_holds(desk, book)
        results = desk.race([("POST", "/returns", {"barcode": copy["barcode"]})] * X05_RETURNS)
        latencies += [r.latency for r in results]
        statuses = Counter(r.status for r in results)
        where = f"round {rnd}"
        problems += [f"{where}: {p}" for p in bad_results(results, {200, 409})]
        if statuses[200] != 1 or statuses[409] != X05_RETURNS - 1:
            problems.append(f"{where}: statuses {dict(statuses)}, expected 1 x 200 and {X05_RETURNS - 1} x 409")
        states = {h["id"]: (h["status"], h["copy_id"], h["position"]) for h in desk.get("/holds", book_id=book)["items"]}
        expected = {first["id"]: ("ready", copy["id"], None), second["id"]: ("waiting", None, 1)}
        if states != expected:
            problems.append(f"{where}: holds {states}, expected {expected} (the first in line gets the copy)")
        if (status := desk.copy_status(copy["id"])) != "on_hold_shelf":
            problems.append(f"{where}: copy is {status}, expected on_hold_shelf")
    report(desk, "X-05 20 returns / 1 copy / 2 holds", started, rounds,
           f"{X05_RETURNS} returns each, 200s per round: 1 expected", latencies,
           problems=problems, mark=mark, path="/returns")


X05_PLACES = 20


def test_x05_twenty_identical_holds_give_one(desk):
    """20 simultaneous holds by one member on one book; odd rounds with a copy on the shelf (the hold waits for it
    to be pulled, and the copy stays on the shelf)."""
    started, problems, latencies = time.monotonic(), [], []
    mark = desk.log_mark()
    rounds = X05_ROUNDS // 2 * 2
    for rnd in range(rounds):
        shelf = rnd % 2 == 1
        book = desk.book("Hold twice")
        copy = desk.copy(book)
        if not shelf:
            desk.checkout(copy["barcode"], desk.member()["card"])
        member = desk.member()
        results = desk.race([("POST", "/holds", {"book_id": book, "card_number": member["card"]})] * X05_PLACES)
        latencies += [r.latency for r in results]
        statuses = Counter(r.status for r in results)
        where = f"round {rnd} ({'copy on the shelf' if shelf else 'copy on loan'})"
        problems += [f"{where}: {p}" for p in bad_results(results, {201, 409})]
        if statuses[201] != 1 or statuses[409] != X05_PLACES - 1:
            problems.append(f"{where}: statuses {dict(statuses)}, expected 1 x 201 and {X05_PLACES - 1} x 409")
        holds = desk.get("/holds", book_id=book)["items"]
        open_holds = [h for h in holds if h["status"] in ("waiting", "ready")]
        if len(holds) != 1 or len(open_holds) != 1 or open_holds[0]["member_id"] != member["id"] \
                or open_holds[0]["status"] != "waiting":
            problems.append(f"{where}: holds {[(h['id'], h['member_id'], h['status']) for h in holds]}, "
                            f"expected one waiting hold of member {member['id']}")
        expected_copy = "available" if shelf else "on_loan"
        if (status := desk.copy_status(copy["id"])) != expected_copy:
            problems.append(f"{where}: copy is {status}, expected {expected_copy}")
    report(desk, "X-05 20 identical holds", started, rounds, f"{X05_PLACES} holds each, 201s per round: 1 expected",
           latencies,
           problems=problems, mark=mark, path="/holds")


# --- capturing pulled copies at the desk ----------------------------------------------------------

X07_ROUNDS, X07_SCANS = 5, 20


def _book_with_copies_on_the_shelf_and_holds(desk, copies, holds):
    book = desk.book("Pull")
    shelf = [desk.copy(book) for _ in range(copies)]
    placed = []
    for holder in desk.members(holds):
        placed.append(desk.hold(book, holder["card"]))
        time.sleep(HOLD_GAP)
    return book, shelf, placed


def test_x07_twenty_captures_of_one_pulled_copy_serve_the_first_hold_only(desk):
    """A pulled copy scanned 20 times at once (return mode, and the capture action): one capture, for the first
    in line; the second in line still waits."""
    started, problems, latencies = time.monotonic(), [], []
    mark = desk.log_mark()
    for rnd in range(X07_ROUNDS):
        book, (copy,), (first, second) = _book_with_copies_on_the_shelf_and_holds(desk, 1, 2)
        calls = [("POST", "/returns" if n % 2 else "/holds/capture", {"barcode": copy["barcode"]})
                 for n in range(X07_SCANS)]
        results = desk.race(calls)
        latencies += [r.latency for r in results]
        statuses = Counter(r.status for r in results)
        where = f"round {rnd}"
        problems += [f"{where}: {p}" for p in bad_results(results, {200, 409})]
        if statuses[200] != 1 or statuses[409] != X07_SCANS - 1:
            problems.append(f"{where}: statuses {dict(statuses)}, expected 1 x 200 and {X07_SCANS - 1} x 409")
        states = {h["id"]: (h["status"], h["copy_id"], h["position"]) for h in desk.get("/holds", book_id=book)["items"]}
        expected = {first["id"]: ("ready", copy["id"], None), second["id"]: ("waiting", None, 1)}
        if states != expected:
            problems.append(f"{where}: holds {states}, expected {expected}")
        if (status := desk.copy_status(copy["id"])) != "on_hold_shelf":
            problems.append(f"{where}: copy is {status}, expected on_hold_shelf")
    report(desk, "X-07 20 captures / 1 copy / 2 holds", started, X07_ROUNDS,
           f"{X07_SCANS} scans each (returns and captures), 200s per round: 1 expected", latencies,
           problems=problems, mark=mark, path="/holds/capture")


def test_x07_two_copies_captured_at_once_serve_two_holds(desk):
    started, problems, latencies = time.monotonic(), [], []
    mark = desk.log_mark()
    for rnd in range(X07_ROUNDS):
        book, copies, holds = _book_with_copies_on_the_shelf_and_holds(desk, 2, 2)
        results = desk.race([("POST", "/holds/capture", {"barcode": c["barcode"]}) for c in copies])
        latencies += [r.latency for r in results]
        where = f"round {rnd}"
        problems += [f"{where}: {p}" for p in bad_results(results, {200})]
        captured = sorted(r.body["id"] for r in results if r.status == 200)
        if captured != sorted(h["id"] for h in holds):
            problems.append(f"{where}: captures answered holds {captured}, expected both {[h['id'] for h in holds]}")
        states = sorted((h["status"], h["copy_id"]) for h in desk.get("/holds", book_id=book)["items"])
        if states != sorted(("ready", c["id"]) for c in copies):
            problems.append(f"{where}: holds {states}, expected both ready, one per copy")
    report(desk, "X-07 2 captures / 2 copies / 2 holds", started, X07_ROUNDS, "2 captures at once each", latencies,
           problems=problems, mark=mark, path="/holds/capture")


X07_BORROWERS = 10


def test_x07_a_capture_racing_checkouts_of_the_same_copy(desk):
    """A pulled copy is captured while walk-in members try to borrow it: exactly one wins, and the copy, the hold
    and the loans agree."""
    started, problems, latencies = time.monotonic(), [], []
    mark = desk.log_mark()
    captures = 0
    for rnd in range(X07_ROUNDS * 2):
        book, (copy,), (hold,) = _book_with_copies_on_the_shelf_and_holds(desk, 1, 1)
        walk_ins = desk.members(X07_BORROWERS)
        calls = [("POST", "/holds/capture", {"barcode": copy["barcode"]})]
        calls += [("POST", "/loans", {"barcode": copy["barcode"], "card_number": m["card"]}) for m in walk_ins]
        results = desk.race(calls)
        latencies += [r.latency for r in results]
        where = f"round {rnd}"
        problems += [f"{where}: capture {p}" for p in bad_results(results[:1], {200, 409})]
        problems += [f"{where}: checkout {p}" for p in bad_results(results[1:], {201, 409})]
        wins = [r for r in results if r.status in (200, 201)]
        if len(wins) != 1:
            problems.append(f"{where}: {len(wins)} winners: {[r.brief() for r in results if r.status in (200, 201)]}")
        status = desk.copy_status(copy["id"])
        active = desk.active_loans(copy["id"])["total"]
        held = desk.get(f"/holds/{hold['id']}")
        if results[0].status == 200:
            captures += 1
            ok = status == "on_hold_shelf" and active == 0 and (held["status"], held["copy_id"]) == ("ready", copy["id"])
        else:
            ok = status == "on_loan" and active == 1 and held["status"] == "waiting"
        if not ok:
            problems.append(f"{where}: capture {results[0].brief()}; copy {status}, {active} active loans, "
                            f"hold {held['status']}")
    report(desk, "X-07 capture vs 10 checkouts", started, X07_ROUNDS * 2,
           f"the capture won {captures} rounds", latencies, problems=problems, mark=mark, path="/holds/capture")


# --- X-06 -------------------------------------------------------------------------------------------

X06_ROUNDS, X06_GAP = 10, 0.005


def test_x06_double_submit_makes_one_loan(desk):
    started, problems, latencies = time.monotonic(), [], []
    mark = desk.log_mark()
    gaps = []
    for rnd in range(X06_ROUNDS):
        copy = desk.copy(desk.book("Double submit"))
        member = desk.member()
        call = ("POST", "/loans", {"barcode": copy["barcode"], "card_number": member["card"]})
        results = desk.race([call, call], delays=[0, X06_GAP])
        latencies += [r.latency for r in results]
        gaps.append(results[1].sent - results[0].sent)
        statuses = Counter(r.status for r in results)
        where = f"round {rnd}"
        problems += [f"{where}: {p}" for p in bad_results(results, {201, 409})]
        if statuses[201] != 1 or statuses[409] != 1:
            problems.append(f"{where}: statuses {[r.brief() for r in results]}, expected one 201 and one 409")
        if (active := desk.active_loans(copy["id"])["total"]) != 1:
            problems.append(f"{where}: {active} active loans, expected 1")
        if (total := desk.all_loans(copy["id"])["total"]) != 1:
            problems.append(f"{where}: {total} loans in all, expected 1")
    report(desk, "X-06 double submit", started, X06_ROUNDS,
           f"2 identical checkouts {X06_GAP * 1000:.0f} ms apart (measured {min(gaps) * 1000:.1f}-"
           f"{max(gaps) * 1000:.1f} ms)", latencies,
           problems=problems, mark=mark, path="/loans")


X06_ABANDONED_ROUNDS = 6


def test_x06_retry_after_a_client_timeout_makes_one_loan(desk):
    """The first checkout's client hangs up before the answer (indeterminate); its retry must not lend twice."""
    started, problems, latencies = time.monotonic(), [], []
    mark = desk.log_mark()
    outcomes = Counter()
    for rnd in range(X06_ABANDONED_ROUNDS):
        copy = desk.copy(desk.book("Timeout"))
        member = desk.member()
        body = {"barcode": copy["barcode"], "card_number": member["card"]}
        desk.abandon("POST", "/loans", body, after=0.002 * (1 + rnd % 3))
        time.sleep(0.3)
        (retry,) = desk.race([("POST", "/loans", body)])
        latencies.append(retry.latency)
        where = f"round {rnd}"
        problems += [f"{where}: retry {p}" for p in bad_results([retry], {201, 409})]
        outcomes["first took effect" if retry.status == 409 else "first was dropped"] += 1
        active = desk.active_loans(copy["id"])
        mine = [loan for loan in active["items"] if loan["member_id"] == member["id"]]
        if active["total"] != 1 or len(mine) != 1:
            problems.append(f"{where}: retry {retry.brief()}; {active['total']} active loans "
                            f"({len(mine)} of the member), expected exactly 1 of the member")
        if (total := desk.all_loans(copy["id"])["total"]) != 1:
            problems.append(f"{where}: {total} loans in all, expected 1")
    report(desk, "X-06 retry after a client timeout", started, X06_ABANDONED_ROUNDS,
           f"abandoned checkout then its retry: {dict(outcomes)}", latencies,
           problems=problems, mark=mark, path="/loans")
