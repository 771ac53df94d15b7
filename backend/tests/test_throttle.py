"""Login throttling and enumeration through the real stack: nginx -> gunicorn (4 workers) -> PostgreSQL
(SECURITY-CHECKLIST N-04, N-05, 2.5).

Two limits, two keys: nginx refuses a flood of logins from one client address (10 a minute after a burst
of 20); the app throttles each account per client address (and each account across all addresses, at a much
higher ceiling), in the database so that every gunicorn worker sees the same count. A stranger's failures
therefore slow the stranger, never the owner. Requests go through nginx on a new connection each, so they
spread over the workers; each test's clients have loopback addresses of their own, so nginx's per-address
limit only applies where a test means it to.
"""

import re
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import REPO_DIR
from tests.stack import GUNICORN_WORKERS, LOGIN_PATH, client_from
from tests.test_nginx import assert_problem, assert_security_headers

pytestmark = pytest.mark.nginx

TEMPLATE = (REPO_DIR / "nginx" / "templates" / "default.conf.template").read_text()
# The login limit as configured: the first request, then `burst` more at once, then one per 60/rate s.
NGINX_BURST = int(re.search(r"limit_req zone=login burst=(\d+) nodelay;", TEMPLATE).group(1))
NGINX_RETRY_AFTER = 60 // int(re.search(r"zone=login:\S+ rate=(\d+)r/m;", TEMPLATE).group(1))
FREE_FAILURES = 5  # the app's contract: after 5 failures at one account from one address, the next waits
ACCESS_LINE = re.compile(r'"POST /api/v1/auth/login HTTP/1\.[01]" (\d{3}) .* worker=<(\d+)>( request_id=\S+)?$')


def unique_email(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:12]}@stack.test"


def fresh_address():
    return f"127.{uuid.uuid4().int % 200 + 5}.{uuid.uuid4().int % 254 + 1}.{uuid.uuid4().int % 254 + 1}"


def direct_login(stack, email, password, spoofed_ip=None, address=None):
    """POST a login through nginx from `address` (default: a fresh loopback address), on a new connection (so
    it may land on any worker). A spoofed X-Forwarded-For is sent too; nginx replaces it with the real address."""
    headers = {"Connection": "close"}
    if spoofed_ip:
        headers["X-Forwarded-For"] = spoofed_ip
    with client_from(address or fresh_address()) as client:
        return client.post(stack.url + LOGIN_PATH, json={"email": email, "password": password},
                           headers=headers, timeout=30)


def retry_after(response):
    value = response.headers.get("Retry-After", "")
    assert value.isdigit(), f"Retry-After must be whole seconds, got {value!r}"
    return int(value)


def workers_that_served_logins(stack, log_offset, expected):
    """The pids of the gunicorn workers that answered POST /api/v1/auth/login since log_offset, once there
    are `expected` of them (gunicorn writes the access line just after the response) or 5 s have passed."""
    deadline = time.monotonic() + 5
    while True:
        with open(stack.gunicorn_log, "rb") as log:
            log.seek(log_offset)
            lines = log.read().decode(errors="replace").splitlines()
        pids = [m.group(2) for m in map(ACCESS_LINE.search, lines) if m]
        if len(pids) >= expected or time.monotonic() > deadline:
            return pids
        time.sleep(0.05)


# --- nginx: per client address ----------------------------------------------------------------------

def test_nginx_limits_login_per_address_and_nothing_else(stack):
    # A client address of its own, so this burst does not use up 127.0.0.1's bucket (the browser tests).
    client = client_from(f"127.0.1.{uuid.uuid4().int % 254 + 1}")
    started = time.monotonic()
    statuses, refused = [], []
    for _ in range(2 * NGINX_BURST):
        # A fresh unknown email each time: the app answers 401 and its per-account throttle never joins in.
        response = client.post(stack.url + LOGIN_PATH, json={"email": unique_email("burst"), "password": "x" * 12},
                               timeout=30)
        statuses.append(response.status_code)
        if response.status_code == 429:
            refused.append(response)
    elapsed = time.monotonic() - started

    # A class of 20 behind one school address logs in at once; then one login every 6 s.
    passed = statuses.count(401)
    refills = int(elapsed // NGINX_RETRY_AFTER) + 1
    assert statuses[:NGINX_BURST + 1] == [401] * (NGINX_BURST + 1), statuses
    assert NGINX_BURST + 1 <= passed <= NGINX_BURST + 1 + refills, statuses
    assert set(statuses) == {401, 429}, statuses
    for response in refused:
        assert_problem(response, 429)
        assert "from this address" in response.json()["detail"]  # nginx's, not the app's per-account 429
        assert retry_after(response) == NGINX_RETRY_AFTER
        assert response.headers["Cache-Control"] == "no-store"
        assert "Content-Encoding" not in response.headers
        assert_security_headers(response)

    # nginx matches the normalised path: another spelling of the login URL is the same limited location.
    for variant in ("/api/v1//auth/login", "/api/v1/auth/logi%6E", "/api/v1/auth/login?next=1"):
        response = client.post(stack.url + variant, json={"email": unique_email("variant"), "password": "x" * 12},
                               timeout=30)
        assert response.status_code == 429, variant

    # Meanwhile the rest of the API, and the other /api/v1/auth/ endpoints, answer that same client normally.
    for _ in range(30):
        assert client.get(stack.url + "/api/v1/books", timeout=30).status_code == 200
    visitor = client.get(stack.url + "/api/v1/auth/me", timeout=30)
    assert visitor.status_code == 200 and visitor.json()["user"] is None
    # ... and other addresses still log in: the limit is per address, not global.
    assert stack.login("member").get(stack.url + "/api/v1/auth/me", timeout=30).status_code == 200

    # A client that honours Retry-After gets through again.
    time.sleep(NGINX_RETRY_AFTER)
    response = client.post(stack.url + LOGIN_PATH, json={"email": unique_email("later"), "password": "x" * 12},
                           timeout=30)
    assert response.status_code == 401


def test_login_and_auth_responses_are_never_gzipped(stack):
    """BREACH: responses carrying the CSRF token (login, /auth/me, /auth/csrf) go out uncompressed, while the
    rest of /api is still gzipped."""
    session = stack.login("librarian")
    email, password = stack.users["librarian"]
    checks = [
        ("POST", LOGIN_PATH, {"email": email, "password": password}, 200),
        ("GET", "/api/v1/auth/me", None, 200),
        ("GET", "/api/v1/auth/csrf", None, 200),
        ("GET", "/api/v1/books?per_page=50", None, 200),
    ]
    for method, path, body, status in checks:
        response = session.request(method, stack.url + path, json=body, headers={"Accept-Encoding": "gzip"},
                                   timeout=30)
        assert response.status_code == status, (path, response.text)
        if path != "/api/v1/auth/csrf":  # too small to matter; the others would be gzipped but for `gzip off`
            assert len(response.content) > 256, path
        if path.startswith("/api/v1/auth/"):
            assert "Content-Encoding" not in response.headers, path
            assert "csrf_token" in response.json(), path
        else:
            assert response.headers.get("Content-Encoding") == "gzip", path
        assert response.headers["Cache-Control"]
        assert_security_headers(response)


# --- the app: per account, in the database ---------------------------------------------------------------

def test_account_throttle_holds_across_workers_and_spoofed_addresses(stack):
    """After 5 failures from one address the account waits for that address (1 s, doubling), whichever worker
    and whatever X-Forwarded-For the client claims; the right password from there is refused during the wait
    and accepted once Retry-After has passed."""
    email, password = stack.create_user(unique_email("throttled"), "member")
    address = fresh_address()  # the guesser's one real address; each request claims another one
    log_offset = stack.gunicorn_log.stat().st_size
    # gunicorn trusts X-Forwarded-For here (LIBRARY_PROXY_HOPS=1): every attempt claims another client.
    spoofed = iter(f"198.51.100.{n}" for n in range(1, 255))

    # 10 wrong guesses at once: all 4 workers take some, and only 5 may be evaluated. A count kept per worker,
    # or read and written without a lock, lets more through.
    guesses = [(f"wrong password {n}", next(spoofed)) for n in range(2 * FREE_FAILURES)]
    started = time.monotonic()
    with ThreadPoolExecutor(len(guesses)) as pool:
        burst = list(pool.map(lambda guess: direct_login(stack, email, *guess, address=address), guesses))
    elapsed = time.monotonic() - started
    evaluated = [r for r in burst if r.status_code == 401]
    assert len(evaluated) + sum(r.status_code == 429 for r in burst) == len(burst), [r.status_code for r in burst]
    if elapsed < 1:  # all within the first 1 s wait
        assert len(evaluated) == FREE_FAILURES, [r.status_code for r in burst]
    else:  # a loaded machine: the waits (1 s, 2 s ...) may have run out in between
        assert FREE_FAILURES <= len(evaluated) <= FREE_FAILURES + int(elapsed), [r.status_code for r in burst]
    burst_workers = workers_that_served_logins(stack, log_offset, len(burst))
    assert len(burst_workers) == len(burst), "every attempt should be in gunicorn's access log"

    refused = direct_login(stack, email, "wrong password again", next(spoofed), address=address)
    assert_problem(refused, 429)
    assert retry_after(refused) >= 1
    for response in burst:
        if response.status_code == 429:
            assert problem_body(response) == problem_body(refused) and retry_after(response) >= 1

    during_backoff = direct_login(stack, email, password, next(spoofed), address=address)
    assert_problem(during_backoff, 429)
    assert problem_body(during_backoff) == problem_body(refused)
    wait = retry_after(during_backoff)
    assert 1 <= wait <= 3, "5 failures should cost a short wait, not a lockout"
    assert "Set-Cookie" not in during_backoff.headers

    time.sleep(wait)  # exactly what Retry-After says: a client that honours it must get through
    accepted = direct_login(stack, email, password, next(spoofed), address=address)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["user"]["email"] == email
    assert accepted.json()["csrf_token"]

    workers = workers_that_served_logins(stack, log_offset, len(burst) + 3)
    print(f"\n{len(burst)} wrong passwords at once: {len(evaluated)} evaluated, the rest 429, in {elapsed:.2f} s; "
          f"{len(workers)} attempts served by {len(set(workers))} of {GUNICORN_WORKERS} workers")
    assert len(set(burst_workers)) >= 2, f"all attempts landed on one worker ({workers}); the test proves nothing"


def test_unknown_accounts_are_throttled_exactly_like_known_ones(stack):
    """Otherwise the throttle itself tells which emails have accounts."""
    known, _ = stack.create_user(unique_email("known"), "member")
    unknown = unique_email("unknown")
    answers = {}
    for email in (known, unknown):
        address = fresh_address()
        answers[email] = [direct_login(stack, email, "wrong password", address=address)
                          for _ in range(FREE_FAILURES + 1)]
    assert [r.status_code for r in answers[known]] == [401] * FREE_FAILURES + [429]
    assert [r.status_code for r in answers[unknown]] == [401] * FREE_FAILURES + [429]
    for k, u in zip(answers[known], answers[unknown]):
        assert problem_body(k) == problem_body(u)
        assert set(k.headers) == set(u.headers)  # Retry-After on both 429s
        assert comparable_headers(k) == comparable_headers(u)


def test_a_stranger_failing_every_second_never_locks_the_owner_out(stack):
    """Found: with one wrong attempt a second from a stranger, the owner's correct logins were refused 29 times
    of 30 (the account's back-off never ended). The stranger, from one address, keeps failing for 20 s; the
    owner, from another, logs in every 2 s meanwhile: every one of those logins succeeds, on any worker,
    while the stranger is slowed to 429s."""
    email, password = stack.create_user(unique_email("owner"), "member")
    stranger, owner = fresh_address(), fresh_address()
    stranger_statuses, owner_statuses = [], []
    started = time.monotonic()
    for n in range(20):
        stranger_statuses.append(direct_login(stack, email, f"guess number {n}", address=stranger).status_code)
        if n % 2 == 0:
            response = direct_login(stack, email, password, address=owner)
            owner_statuses.append(response.status_code)
            assert response.status_code == 200 and response.json()["user"]["email"] == email, response.text
        time.sleep(max(0.0, started + n + 1 - time.monotonic()))
    assert owner_statuses == [200] * 10
    assert stranger_statuses[:FREE_FAILURES] == [401] * FREE_FAILURES
    assert 429 in stranger_statuses[FREE_FAILURES:], stranger_statuses  # the back-off is the stranger's
    assert set(stranger_statuses) <= {401, 429}

    # The lockout is in the audit trail, with the stranger's address.
    admin = stack.login("admin")
    events = admin.get(stack.url + "/api/v1/audit", params={"action": "auth.lockout"}, timeout=30).json()["items"]
    mine = [e for e in events if e["actor"] == email]
    assert [e["summary"]["client"] for e in mine] == [stranger]


# --- enumeration: same answer, same time --------------------------------------------------------------------

PER_RESPONSE_HEADERS = {"date", "content-length", "retry-after", "x-request-id"}  # compared by name only
ATTEMPTS_PER_EMAIL = 3  # < FREE_FAILURES


def problem_body(response):
    """The problem document without its request_id, which differs in every answer by design."""
    return {k: v for k, v in response.json().items() if k != "request_id"}


def comparable_headers(response):
    return {name.lower(): value for name, value in response.headers.items() if name.lower() not in PER_RESPONSE_HEADERS}


def test_unknown_email_and_wrong_password_answer_alike_and_as_fast(stack):
    """N-05: the same status, body and headers for an unknown email and for a known email with a wrong password,
    and the same time: within +-20%. 15 pairs of fresh emails (one unknown, one with an account), straight to
    gunicorn. Noise on a shared machine only ever adds time, so each email is timed as the fastest of 3
    attempts (below the throttle's 5 free failures), the attempts of a pair interleaved in alternating order
    so that load hits both alike; the test takes the median of the 15 per-pair ratios."""
    rounds = 15
    admin = stack.login("admin")
    known = []
    for _ in range(rounds + 1):
        email = unique_email("timing")
        created = admin.post(stack.url + "/api/v1/users", json={"email": email, "display_name": "Timing",
                                                                 "role": "member", "password": uuid.uuid4().hex},
                             timeout=30)
        assert created.status_code == 201, created.text
        known.append(email)

    def timed(email):
        started = time.perf_counter()
        response = direct_login(stack, email, "not the password")
        return time.perf_counter() - started, response

    # Warm-up, so that every worker (they are picked at random) has its connections and hashers ready.
    warm_known = known.pop()
    for n in range(4 * GUNICORN_WORKERS):
        timed(unique_email("warm-up"))
        if n < FREE_FAILURES - 1:
            timed(warm_known)

    times = {"unknown": [], "known": []}
    reference = None
    for n, email in enumerate(known):
        pair = [("unknown", unique_email("nobody")), ("known", email)]
        fastest = {}
        for _ in range(ATTEMPTS_PER_EMAIL):
            for kind, address in pair if n % 2 == 0 else reversed(pair):
                elapsed, response = timed(address)
                assert response.status_code == 401, response.text
                answer = (problem_body(response), set(response.headers), comparable_headers(response))
                reference = reference or answer
                assert answer == reference, f"the {kind} email answered differently"
                fastest[kind] = min(elapsed, fastest.get(kind, elapsed))
        for kind, elapsed in fastest.items():
            times[kind].append(elapsed)

    ratio = statistics.median(u / k for u, k in zip(times["unknown"], times["known"]))
    median = {kind: statistics.median(values) * 1000 for kind, values in times.items()}
    print(f"\nlogin medians over {rounds} pairs (fastest of {ATTEMPTS_PER_EMAIL}): unknown email "
          f"{median['unknown']:.1f} ms, known email and wrong password {median['known']:.1f} ms; "
          f"median of the per-pair ratios (unknown/known) {ratio:.3f}")
    assert 0.8 <= ratio <= 1.2, (ratio, median)
