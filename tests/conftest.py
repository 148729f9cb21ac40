"""Shared fixtures: every database-backed test runs on SQLite and on PostgreSQL.

Each test runs inside a transaction that is rolled back, so tests never see each other's
data. The schema is built by Alembic (the only way it is ever built), once per database.
PostgreSQL tests use a scratch database created for this run and dropped after it; when the
server is unreachable they are skipped with a plain reason — except under CI, where that is
a failure.
"""

import json
import os
import secrets
import threading
import uuid
from base64 import b64encode
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from httpx2 import Response
from hypothesis import settings as hypothesis_settings
from itsdangerous import TimestampSigner
from sqlalchemy import Engine
from sqlmodel import Session

from service import clock, db, jobs, migrations, ratelimit
from service.app import create_app
from service.auth import service as auth
from service.db import get_engine, get_session, make_engine, session_scope
from service.public import register
from service.public.register import public_register
from service.settings import Settings, get_settings
from service.users import service as users
from service.users.models import Role, User

POSTGRES_ADMIN_URL = os.environ.get(
    "IMPRIMATUR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


# Speed is measured in bench/, not asserted here: a loaded machine must not fail an example.
hypothesis_settings.register_profile("imprimatur", deadline=None)
hypothesis_settings.load_profile("imprimatur")

REDIS_URL = os.environ.get("IMPRIMATUR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def service_unavailable(message: str) -> NoReturn:
    """Skip, saying why — except under CI, where a missing service is a failure."""
    if IN_CI:
        pytest.fail(message + " (CI must run every test)", pytrace=False)
    pytest.skip(message)


def _postgres_unavailable(reason: str) -> None:
    service_unavailable(f"PostgreSQL unavailable at {POSTGRES_ADMIN_URL}: {reason}")


@pytest.fixture
def redis_url() -> str:
    """The test Redis (a database of its own); its tests skip or fail as PostgreSQL's do."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        service_unavailable(f"Redis unavailable at {REDIS_URL}: {error}")
    return REDIS_URL


@dataclass(frozen=True)
class ScratchPostgres:
    admin_url: str
    name: str

    @property
    def url(self) -> str:
        base = self.admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        return f"{base}/{self.name}"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create(self) -> None:
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_factory() -> Iterator[Callable[[], str]]:
    """Creates scratch PostgreSQL databases (URL returned) and drops them all at the end."""
    created: list[ScratchPostgres] = []

    def create() -> str:
        scratch = ScratchPostgres(POSTGRES_ADMIN_URL, f"imprimatur_test_{uuid.uuid4().hex[:12]}")
        try:
            scratch.create()
        except psycopg.Error as error:
            _postgres_unavailable(str(error).strip())
        created.append(scratch)
        return scratch.url

    yield create
    for scratch in created:
        scratch.drop()


@pytest.fixture(scope="session")
def database_url_factory(
    tmp_path_factory: pytest.TempPathFactory, postgres_factory: Callable[[], str]
) -> Callable[[str], str]:
    """A new, empty database of the given kind ('sqlite' or 'postgresql')."""

    def create(kind: str) -> str:
        if kind == "postgresql":
            return postgres_factory()
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'imprimatur.db'}"

    return create


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, database_url_factory: Callable[[str], str]
) -> Iterator[Engine]:
    url = database_url_factory(request.param)
    migrations.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_database(
    request: pytest.FixtureRequest,
    database_url_factory: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """A fresh migrated database that the service itself uses (commits are real): for the CLI,
    jobs and concurrency, which open their own sessions."""
    url = database_url_factory(request.param)
    monkeypatch.setenv("IMPRIMATUR_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    migrations.upgrade(url)
    yield url
    get_engine().dispose()


@pytest.fixture
def database_connections(
    committed_database: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[[int], None]:
    """Let the service hold this many connections to `committed_database` at once, through its
    own settings: a concurrency test keeps every one of its requests in the database together."""

    def allow(connections: int) -> None:
        monkeypatch.setenv("IMPRIMATUR_DATABASE_POOL_SIZE", str(connections))
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()

    return allow


@pytest.fixture
def live_app(committed_database: str) -> Iterator[TestClient]:
    """The application on `committed_database`, sessions and commits as in production."""
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose every commit is a savepoint inside one transaction rolled back at the end."""
    with engine.connect() as connection:
        outer = connection.begin()
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as db_session:
            yield db_session
        outer.rollback()


@pytest.fixture(autouse=True)
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Fresh settings per test: media in a temporary folder, no `.env` from the developer."""
    monkeypatch.setenv("IMPRIMATUR_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setattr(ratelimit, "_memory", ratelimit.MemoryBudget())
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
    get_engine.cache_clear()
    clock.freeze(None)


@pytest.fixture
def app(session: Session, settings: Settings) -> Iterator[TestClient]:
    application = create_app(settings)

    def request_session() -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    application.dependency_overrides[get_session] = request_session
    # The public verify route reads the committed register; here, the test's transaction.
    application.dependency_overrides[public_register] = lambda: register.current(session)
    with TestClient(application, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> list[jobs.Job]:
    """Jobs deferred by committed requests, collected to run by hand instead of on threads."""
    collected: list[jobs.Job] = []

    def collect(session: Session) -> None:
        collected.extend(session.info.pop(jobs.DEFERRED, []))

    monkeypatch.setattr(db, "run_deferred", collect)
    return collected


@dataclass
class Person:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def email(self) -> str:
        return self.user.email


def post_as(live_app: TestClient, person: Person, url: str, body: dict[str, Any]) -> Response:
    """One request on its own client, as from a separate browser (for requests at once)."""
    client = TestClient(live_app.app, raise_server_exceptions=False)
    return client.post(url, json=body, headers=person.headers)


def hold_together(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, parties: int) -> None:
    """Every party waits for the others right before `module.name`, so that their calls of it
    truly overlap; the barrier is reused, so each round of calls is made at once."""
    barrier = threading.Barrier(parties, timeout=60)  # against a hang, not a measure of speed
    original = getattr(module, name)

    def together(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, together)


@pytest.fixture
def make_person(session: Session) -> Callable[..., Person]:
    """A provisioned user of a role, with a bearer token."""

    def make(role: Role, email: str | None = None) -> Person:
        email = email or f"{role}-{uuid.uuid4().hex[:8]}@school.example"
        user = users.add_user(session, actor="test", email=email, role=role, name=role.title())
        issued = auth.issue_token(session, user, actor="test", expires_days=None)
        session.commit()
        return Person(user, issued.token)

    return make


@pytest.fixture
def make_live_person(committed_database: str) -> Callable[..., Person]:
    """Like `make_person`, but committed to `committed_database`, for `live_app` tests."""

    def make(role: Role, email: str | None = None) -> Person:
        email = email or f"{role}-{uuid.uuid4().hex[:8]}@school.example"
        with session_scope() as session:
            user = users.add_user(session, actor="test", email=email, role=role, name=role.title())
            issued = auth.issue_token(session, user, actor="test", expires_days=None)
        return Person(user, issued.token)

    return make


@pytest.fixture
def superintendent(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.superintendent)


@pytest.fixture
def staff(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.staff)


SESSION_COOKIE = "imprimatur_session"


@dataclass
class Browser:
    """A signed-in browser over the test client: session cookie, CSRF token, HTML accepted."""

    client: TestClient
    csrf_token: str

    def get(self, path: str, **params: str) -> Response:
        return self.client.get(
            path, params=params, headers={"accept": "text/html"}, follow_redirects=False
        )

    def post(
        self, path: str, data: dict[str, object] | None = None, files: object = None
    ) -> Response:
        form = {**(data or {}), "csrf_token": self.csrf_token}
        return self.client.post(
            path, data=form, files=files, headers={"accept": "text/html"}, follow_redirects=False
        )


def session_cookie(secret_key: str, content: dict[str, str]) -> str:
    """The signed cookie Starlette's SessionMiddleware would set for `content`."""
    payload = b64encode(json.dumps(content).encode())
    return TimestampSigner(secret_key).sign(payload).decode()


@pytest.fixture
def browser_as(
    app: TestClient, session: Session, settings: Settings
) -> Callable[[Person], Browser]:
    """Sign a person in on the test client's browser session (one person at a time)."""

    def sign_in(person: Person) -> Browser:
        app.cookies.clear()  # the server may have set its own cookie for the earlier person
        secret = auth.start_web_session(session, person.user, days=1)
        session.commit()
        token = secrets.token_urlsafe(16)
        cookie = session_cookie(settings.secret_key, {auth.SESSION_KEY: secret, "csrf": token})
        app.cookies.set(SESSION_COOKIE, cookie)
        return Browser(app, token)

    return sign_in


MULTIPART_BOUNDARY = "imprimatur-hostile-boundary-7f3a"
MULTIPART_TYPE = f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"


def raw_multipart(
    fields: dict[str, str],
    filename: str,
    content_type: str,
    content: bytes,
    file_field: str = "file",
) -> bytes:
    """A multipart body (of MULTIPART_TYPE) written byte by byte, as a hostile client would:
    the file name and type go into the part's headers unescaped, where an HTTP client library
    would refuse to send them."""
    boundary = f"--{MULTIPART_BOUNDARY}\r\n"
    disposition = "Content-Disposition: form-data; name="
    parts = [f'{boundary}{disposition}"{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    head = (
        f'{boundary}{disposition}"{file_field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}"
    )
    parts.append(head.encode("utf-8", "surrogatepass") + b"\r\n\r\n" + content + b"\r\n")
    return b"".join(parts) + f"--{MULTIPART_BOUNDARY}--\r\n".encode()
