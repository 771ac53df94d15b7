"""Run Library natively, in the same shape as docker compose: nginx in front of gunicorn.

    python -m library.serve          (what `make run` does; PORT defaults to 8000)

nginx (when installed) listens on 127.0.0.1:$PORT, serves frontend/ and proxies /api to gunicorn on
a free loopback port. Without nginx, gunicorn listens on $PORT itself and Flask serves frontend/.
Beside them runs the background worker (`flask --app library worker`: imports, hold expiry ...).
Ctrl-C stops everything started here; what dies on its own (a kill -9 of gunicorn's master) is started
again. The functions are reused by the integration tests.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

BACKEND_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BACKEND_DIR.parent
NGINX_DIR = REPO_DIR / "nginx"
FRONTEND_DIR = REPO_DIR / "frontend"
TEMPLATE_VARIABLES = ("NGINX_PORT", "BACKEND_UPSTREAM", "STATIC_ROOT", "COVERS_ROOT", "NGINX_SERVER_NAME")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def server_names(public_url):
    """nginx's server_name for a public URL: its host, then the loopback names (as the compose image's
    nginx/entrypoint/15-library-server-name.envsh derives them); other hosts get the default server's 421."""
    host = urlsplit(public_url).netloc.rsplit("@", 1)[-1]
    host = host[:host.index("]") + 1] if host.startswith("[") else host.split(":", 1)[0]
    return " ".join(dict.fromkeys([host or "localhost", *LOOPBACK_NAMES]))


def free_port():
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render_template(text, values):
    """Substitute ${NAME} for the given names only, like `envsubst '${A} ${B}'`; nginx's $vars stay."""
    pattern = re.compile(r"\$\{(" + "|".join(map(re.escape, values)) + r")\}")
    return pattern.sub(lambda m: str(values[m.group(1)]), text)


def _world_readable(static_root, run_dir):
    """nginx started by root serves files as `nobody`: when a folder on the way to static_root is closed to
    others (a checkout under /root, say), serve a copy from the world-readable run folder instead."""
    if os.geteuid() != 0 or all(os.stat(p).st_mode & 0o005 == 0o005 for p in [static_root, *static_root.parents]):
        return static_root
    copy = run_dir / "static"
    shutil.copytree(static_root, copy, dirs_exist_ok=True)
    return copy


def covers_root(env=None):
    """The covers folder the backend writes (LIBRARY_DATA_DIR/covers), made now so nginx can serve it."""
    env = os.environ if env is None else env
    root = Path(env.get("LIBRARY_DATA_DIR") or BACKEND_DIR / "data") / "covers"
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()


def render_nginx_config(run_dir, port, upstream, static_root, covers=None, public_url=None):
    """Lay out an nginx run folder (nginx.conf, conf.d/, snippets/, tmp/); return the nginx.conf path.

    nginx listens on 127.0.0.1:port only and serves the host of public_url (default: http://127.0.0.1:port)
    and the loopback names; upstream is gunicorn's host:port, or a list of them (several app servers behind one
    upstream, a `server` line each). Everything is made world-readable, since nginx workers started by root run
    as `nobody` (the covers folder too: the backend writes its files 0644).
    """
    run_dir = Path(run_dir)
    static_root = _world_readable(Path(static_root).resolve(), run_dir)
    servers = ";\n    server ".join([upstream] if isinstance(upstream, str) else upstream)
    values = {"NGINX_PORT": f"127.0.0.1:{port}", "BACKEND_UPSTREAM": servers, "STATIC_ROOT": static_root,
              "COVERS_ROOT": covers or covers_root(),
              "NGINX_SERVER_NAME": server_names(public_url or f"http://127.0.0.1:{port}")}
    (run_dir / "conf.d").mkdir(parents=True, exist_ok=True)
    (run_dir / "tmp").mkdir(exist_ok=True)
    template = (NGINX_DIR / "templates" / "default.conf.template").read_text()
    (run_dir / "conf.d" / "default.conf").write_text(render_template(template, values))
    shutil.copytree(NGINX_DIR / "snippets", run_dir / "snippets", dirs_exist_ok=True)
    shutil.copyfile(NGINX_DIR / "native-nginx.conf", run_dir / "nginx.conf")
    for path in [run_dir, *run_dir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return run_dir / "nginx.conf"


def _spawn(cmd, log_path, **kwargs):
    """Start cmd in its own session (Ctrl-C is ours to handle), output to log_path or inherited."""
    log = open(log_path, "ab") if log_path else None
    try:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT if log else None,
                                stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)
    finally:
        if log:
            log.close()


def start_gunicorn(bind, *, workers=None, env=None, log_path=None):
    """Start gunicorn with backend/gunicorn.conf.py, serving library:create_app() on bind (host:port)."""
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(BACKEND_DIR / "gunicorn.conf.py"),
           "--bind", bind, "--no-control-socket"]
    if workers:
        cmd += ["--workers", str(workers)]
    cmd.append("library:create_app()")
    return _spawn(cmd, log_path, cwd=BACKEND_DIR, env=env)


def start_nginx(run_dir, *, log_path=None):
    """Check (`nginx -t`) and start nginx in the foreground from a folder made by render_nginx_config."""
    run_dir = Path(run_dir)
    base = ["nginx", "-p", f"{run_dir}/", "-c", str(run_dir / "nginx.conf"), "-e", "stderr"]
    check = subprocess.run([*base, "-t", "-q"], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
    return _spawn([*base, "-g", "daemon off;"], log_path)


def start_worker(*, env=None, log_path=None):
    """Start `flask --app library worker` (background jobs and periodic tasks) in backend/."""
    return _spawn([sys.executable, "-m", "flask", "--app", "library", "worker"], log_path, cwd=BACKEND_DIR, env=env)


def wait_for_http(url, timeout=30.0, procs=()):
    """Poll url until it answers 200; fail early if one of procs exits."""
    deadline = time.monotonic() + timeout
    while True:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.1)


def stop(proc, timeout=10.0):
    """Stop a process started here: SIGTERM (graceful for gunicorn, fast for nginx), then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Supervised:
    """A process `make run` keeps running: started by start(), started again when it dies on its own (a kill -9
    of gunicorn's master, say), at most RESTARTS times in WINDOW seconds (then it is a crash loop: give up)."""

    RESTARTS, WINDOW = 5, 60.0

    def __init__(self, name, start):
        self.name, self.start = name, start
        self.proc = start()
        self.restarts = []

    def check(self):
        """Restart the process if it has exited; False when it keeps dying."""
        if self.proc.poll() is None:
            return True
        code = self.proc.returncode
        kill_group(self.proc)  # a master killed outright leaves its workers behind, holding the port
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < self.WINDOW] + [now]
        if len(self.restarts) > self.RESTARTS:
            print(f"error: {self.name} keeps exiting (last code {code}); giving up", file=sys.stderr, flush=True)
            return False
        print(f"{self.name} exited with code {code}; starting it again", file=sys.stderr, flush=True)
        self.proc = self.start()
        return True


def kill_group(proc):
    """SIGKILL what is left of the process group of proc (started with start_new_session: its own group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def main():
    port = int(os.environ.get("PORT", "8000"))
    env = dict(os.environ)
    # Absolute URLs (page links, the calendar feed) name this address unless the operator set another.
    env.setdefault("LIBRARY_PUBLIC_URL", f"http://127.0.0.1:{port}")
    services = []
    run_dir = tempfile.mkdtemp(prefix="library-run.")
    # SIGTERM behaves like Ctrl-C (SIGINT), so both reach the cleanup below.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    try:
        if shutil.which("nginx"):
            backend = f"127.0.0.1:{free_port()}"
            env["LIBRARY_PROXY_HOPS"] = "1"  # nginx is the one trusted proxy
            services.append(Supervised("gunicorn", lambda: start_gunicorn(backend, env=env)))
            try:  # nginx starts once gunicorn answers, so its log is not filled with refused connections
                wait_for_http(f"http://{backend}/api/health", timeout=30, procs=[s.proc for s in services])
            except TimeoutError:
                pass  # said below, through nginx
            render_nginx_config(run_dir, port, backend, FRONTEND_DIR, covers_root(env), env["LIBRARY_PUBLIC_URL"])
            services.append(Supervised("nginx", lambda: start_nginx(run_dir)))
        else:
            print("nginx not found: gunicorn serves the API and the frontend itself", file=sys.stderr)
            env["LIBRARY_PROXY_HOPS"] = "0"  # clients talk to gunicorn directly: trust no X-Forwarded-*
            env.setdefault("LIBRARY_FRONTEND_DIR", str(FRONTEND_DIR))
            services.append(Supervised("gunicorn", lambda: start_gunicorn(f"127.0.0.1:{port}", env=env)))
        url = f"http://127.0.0.1:{port}/"
        try:
            wait_for_http(url + "api/health", timeout=30, procs=[s.proc for s in services])
        except TimeoutError as exc:
            print(f"warning: {exc} (database not migrated? run `flask --app library db upgrade`)", file=sys.stderr)
        services.append(Supervised("worker", lambda: start_worker(env=env)))
        print(f"Library is running at {url}  (Ctrl-C to stop)", flush=True)
        # Supervise: whatever dies on its own (gunicorn's master killed, an OOM kill) is started again.
        while all(service.check() for service in services):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        for service in reversed(services):
            stop(service.proc)
            kill_group(service.proc)
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
