"""The production deployment files: docker-compose.yml, .env.example, Dockerfile, .dockerignore.

No container runs here. The compose file is validated and normalized by `docker compose config`
(or Debian's `docker-compose config`), which needs no Docker engine; then its wiring is checked.
The Dockerfile is checked as text, stage by stage.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.settings import Settings
from tests.conftest import service_unavailable

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

APP_SERVICES = ("migrate", "api", "worker", "beat")
# Required in production and so present, uncommented, in .env.example.
REQUIRED_IN_ENV_EXAMPLE = {
    "POSTGRES_PASSWORD",
    "IMPRIMATUR_ENVIRONMENT",
    "IMPRIMATUR_BASE_URL",
    "IMPRIMATUR_SECRET_KEY",
    "IMPRIMATUR_CREDENTIAL_KEYS",
    "IMPRIMATUR_OIDC_ISSUER",
    "IMPRIMATUR_OIDC_CLIENT_ID",
    "IMPRIMATUR_OIDC_CLIENT_SECRET",
    "IMPRIMATUR_SMTP_HOST",
    "IMPRIMATUR_MAIL_FROM",
}
# IMPRIMATUR_* names in .env.example that are compose's, not the app's settings.
COMPOSE_ONLY = {"IMPRIMATUR_IMAGE"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEYS?$", re.IGNORECASE)
INTERPOLATION_ONLY = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}$")
COMPILERS = re.compile(r"\b(gcc|g\+\+|build-essential|clang|make|[\w.+-]+-dev)\b")


# --- docker compose config -------------------------------------------------------------------


def compose_command() -> list[str] | None:
    """`docker compose` (the v2 plugin) if it answers, else `docker-compose` (v1 or v2)."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        probe = subprocess.run(
            [*command, "version"], capture_output=True, text=True, timeout=60, check=False
        )
        if probe.returncode == 0:
            return command
    return None


def env_example() -> dict[str, str]:
    """The active (uncommented) NAME=value lines of .env.example."""
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f".env.example: not NAME=value: {line!r}"
            pairs[name.strip()] = value
    return pairs


def dummy_env(skip: frozenset[str] = frozenset()) -> str:
    """.env.example filled in the way an operator would: every empty value gets one."""
    lines = [
        f"{name}={value or 'dummy-' + name.lower().replace('_', '-') + '-' + 'x' * 32}"
        for name, value in env_example().items()
        if name not in skip
    ]
    return "\n".join(lines) + "\n"


def compose_config(
    command: list[str], directory: Path, env_text: str
) -> subprocess.CompletedProcess[str]:
    for name in ("docker-compose.yml", "Dockerfile", ".env.example"):
        shutil.copy(ROOT / name, directory / name)
    (directory / ".env").write_text(env_text, encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("IMPRIMATUR_", "POSTGRES_", "COMPOSE_", "API_PORTS"))
    }
    return subprocess.run(
        [*command, "--profile", "mail", "config"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def compose_tool() -> list[str]:
    command = compose_command()
    if command is None:
        service_unavailable(
            "neither `docker compose` nor `docker-compose` is installed, so docker-compose.yml "
            "cannot be validated (apt-get install docker-compose)"
        )
    return command


@pytest.fixture(scope="module")
def config(
    compose_tool: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The compose file as `config` normalizes it, with .env.example filled in."""
    result = compose_config(compose_tool, tmp_path_factory.mktemp("compose"), dummy_env())
    assert result.returncode == 0, f"{' '.join(compose_tool)} config failed:\n{result.stderr}"
    yield yaml.safe_load(result.stdout)


def services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return config["services"]  # type: ignore[no-any-return]


def argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def healthcheck_enabled(service: dict[str, Any]) -> bool:
    check = service.get("healthcheck")
    if not check or check.get("disable"):
        return False
    return argv(check.get("test", ["NONE"]))[:1] != ["NONE"]


def test_compose_file_is_valid_and_has_every_service(config: dict[str, Any]) -> None:
    assert set(services(config)) >= {"postgres", "redis", *APP_SERVICES, "mailpit"}


def test_a_missing_postgres_password_is_refused(compose_tool: list[str], tmp_path: Path) -> None:
    result = compose_config(compose_tool, tmp_path, dummy_env(frozenset({"POSTGRES_PASSWORD"})))
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_migrate_runs_the_migrations_once(config: dict[str, Any]) -> None:
    migrate = services(config)["migrate"]
    assert argv(migrate["command"]) == ["imprimatur", "db", "upgrade"]
    assert migrate.get("restart", "no") in ("no", False)  # YAML 1.1 reads a bare no as false
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", ["api", "worker", "beat"])
def test_app_services_wait_for_migrations_and_healthy_backends(
    config: dict[str, Any], name: str
) -> None:
    depends_on = services(config)[name]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_api_serves_and_jobs_go_to_celery(config: dict[str, Any]) -> None:
    api = services(config)["api"]
    assert argv(api["command"])[:2] == ["imprimatur", "serve"]
    targets = [p["target"] if isinstance(p, dict) else p.split(":")[-1] for p in api["ports"]]
    assert "8000" in {str(target) for target in targets}
    for name in APP_SERVICES:
        environment = services(config)[name]["environment"]
        assert environment["IMPRIMATUR_JOBS_BACKEND"] == "celery"
        assert environment["IMPRIMATUR_REDIS_URL"].startswith("redis://redis:")
        assert "@postgres:5432/" in environment["IMPRIMATUR_DATABASE_URL"]
        assert environment["IMPRIMATUR_ENVIRONMENT"] == "production"


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_worker_and_beat_run_the_celery_app(config: dict[str, Any], name: str) -> None:
    command = argv(services(config)[name]["command"])
    assert command[0] == "celery"
    assert command[command.index("-A") + 1] == "service.celery_app"
    assert name in command


def test_beat_is_never_replicated(config: dict[str, Any]) -> None:
    beat = services(config)["beat"]
    assert int(beat.get("deploy", {}).get("replicas", 1)) == 1
    assert int(beat.get("scale", 1)) == 1


def test_app_services_share_one_image_and_the_media_volume(config: dict[str, Any]) -> None:
    app = [services(config)[name] for name in APP_SERVICES]
    assert len({json.dumps(s.get("image"), sort_keys=True) for s in app}) == 1
    assert len({json.dumps(s.get("build"), sort_keys=True) for s in app}) == 1
    for name in ("api", "worker"):
        volumes = services(config)[name]["volumes"]
        mounts = {
            (v["source"], v["target"]) if isinstance(v, dict) else tuple(v.split(":")[:2])
            for v in volumes
        }
        assert ("media", "/data") in mounts
        assert services(config)[name]["environment"]["IMPRIMATUR_MEDIA_DIR"] == "/data/media"


def test_app_services_share_the_x_app_anchor() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    assert re.search(r"^x-app: &app$", text, re.MULTILINE)
    for name in APP_SERVICES:
        assert re.search(rf"^  {name}:\n(    #.*\n)*    <<: \*app$", text, re.MULTILINE), name


def test_backends_and_api_have_healthchecks(config: dict[str, Any]) -> None:
    for name in ("postgres", "redis", "api"):
        assert healthcheck_enabled(services(config)[name]), name
    assert "pg_isready" in " ".join(argv(services(config)["postgres"]["healthcheck"]["test"]))
    assert "ping" in argv(services(config)["redis"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(argv(services(config)["api"]["healthcheck"]["test"]))


def test_mailpit_only_with_the_mail_profile(config: dict[str, Any]) -> None:
    assert services(config)["mailpit"]["profiles"] == ["mail"]


def test_no_secret_is_written_in_the_compose_file() -> None:
    """Secrets come from .env: a secret-looking variable is only ever `${...}`, and a URL's
    password too."""
    raw = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    for name, service in raw["services"].items():
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        for key, value in environment.items():
            value = str(value)
            if SECRET_NAME.search(key):
                assert INTERPOLATION_ONLY.match(value), f"{name}: {key} is written inline"
            for password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", value):
                assert INTERPOLATION_ONLY.match(password), f"{name}: password inline in {key}"
    assert env_example()["POSTGRES_PASSWORD"] == ""


# --- .env.example ----------------------------------------------------------------------------


def test_env_example_lists_the_production_settings_and_no_unknown_one() -> None:
    active = env_example()
    assert set(active) >= REQUIRED_IN_ENV_EXAMPLE
    assert active["IMPRIMATUR_ENVIRONMENT"] == "production"
    secrets = {name for name in active if SECRET_NAME.search(name)}
    assert all(active[name] == "" for name in secrets), "a secret has a value in .env.example"
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    known = {f"IMPRIMATUR_{field.upper()}" for field in Settings.model_fields} | COMPOSE_ONLY
    unknown = set(re.findall(r"\bIMPRIMATUR_[A-Z0-9_]+", text)) - known
    assert not unknown, f".env.example names settings that do not exist: {sorted(unknown)}"


def test_env_example_filled_in_gives_valid_production_settings(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("IMPRIMATUR_"):
            monkeypatch.delenv(name)
    for name, value in services(config)["api"]["environment"].items():
        monkeypatch.setenv(name, str(value))
    settings = Settings(_env_file=None)
    assert settings.environment == "production"
    assert settings.jobs_backend == "celery"
    assert settings.sqlalchemy_url.startswith("postgresql+psycopg://imprimatur:")


# --- Dockerfile and .dockerignore ------------------------------------------------------------


def dockerfile_stages() -> list[list[str]]:
    """Instructions (continuation lines joined, comments dropped), grouped by FROM."""
    instructions: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        instructions.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends in a continuation line"
    stages: list[list[str]] = []
    for instruction in instructions:
        if instruction.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def instructions(stage: list[str], keyword: str) -> list[str]:
    return [i[len(keyword) :].strip() for i in stage if i.upper().startswith(keyword + " ")]


def test_dockerfile_is_multi_stage_and_installs_the_lock_with_hashes() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    assert re.fullmatch(r"FROM \S+ AS builder", stages[0][0], re.IGNORECASE)
    installs = [run for run in instructions(stages[0], "RUN") if "pip install" in run]
    assert any("--require-hashes" in run and "requirements.lock" in run for run in installs)
    assert any(c.startswith("--from=builder") for c in instructions(stages[-1], "COPY"))


def test_final_stage_runs_unprivileged_without_compilers() -> None:
    final = dockerfile_stages()[-1]
    users = instructions(final, "USER")
    assert users, "the final stage sets no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert users[-1].split(":")[0] == "10001"
    for run in instructions(final, "RUN"):
        assert not COMPILERS.search(run), f"build tools in the final stage: {run}"


def test_final_stage_serves_with_a_healthcheck() -> None:
    final = dockerfile_stages()[-1]
    (healthcheck,) = instructions(final, "HEALTHCHECK")
    assert "http://127.0.0.1:8000/healthz" in healthcheck
    assert "urllib" in healthcheck
    assert instructions(final, "EXPOSE") == ["8000"]
    (cmd,) = instructions(final, "CMD")
    assert json.loads(cmd) == ["imprimatur", "serve", "--host", "0.0.0.0", "--port", "8000"]
    env = " ".join(instructions(final, "ENV"))
    for setting in (
        "PYTHONDONTWRITEBYTECODE=1",
        "PYTHONUNBUFFERED=1",
        "IMPRIMATUR_MEDIA_DIR=/data/media",
        "PYTHONPATH=/app",
    ):
        assert setting in env
    assert any("/data" in volume for volume in instructions(final, "VOLUME"))


def test_image_keeps_the_repository_layout_for_alembic() -> None:
    """service/migrations.py finds alembic/ beside service/: both must land in one folder."""
    final = dockerfile_stages()[-1]
    assert instructions(final, "WORKDIR")[-1] == "/app"
    copied = " ".join(c for c in instructions(final, "COPY") if not c.startswith("--from"))
    for path in ("alembic.ini", "alembic/", "service/", "connectors/", "workflows/"):
        assert path in copied


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build() -> None:
    lines = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".venv", "var", ".git", "**/__pycache__"} <= lines
