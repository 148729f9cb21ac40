"""API fuzzing: schemathesis against `/openapi.json`, every operation, as each role and anonymously.

For every operation in the schema (everything under /api/v1 plus the public routes) and every
caller (anonymous, then a bearer token of each role), schemathesis generates requests, valid and
invalid, and checks each response: never a 5xx; a status the operation documents; the declared
content type; a body that matches the declared schema; and every 4xx body in the JSON error shape
`{"error": {"code": str, "message": str, ...}}`.

Runs on SQLite only, to keep CI short: PostgreSQL is exercised by every other test, and what this
test hunts for (unhandled input, undocumented responses) does not depend on the database. The
number of examples is bounded and generation is derandomized with a fixed seed, so CI runs the
same requests every time. Each (operation, caller) pair is one test inside one rolled-back
transaction.

Operations that cannot be fuzzed meaningfully are still called, but only their refusals matter:
multipart uploads (`POST /api/v1/students/import`, `POST /api/v1/consents/{id}/evidence`,
`POST /api/v1/posts/{id}/media`) need a real CSV or image that random bytes never are, and the
sign-in routes (`/login/oidc`, `/auth/callback`) need an identity provider. The other tests of
those domains cover their happy paths.

Stateless: each generated request is sent as every caller in turn, against an empty register, so
most calls on ids are refusals (404). The stateful part reaches further: against the demo's
institution (register, roster, people), schemathesis follows the links it infers between
operations (a listed account's id into its page, its stewards, its lifecycle actions; a created
post into its submission…) as each of the demo's people, with the same checks at every step.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import ASGIClient, get_client
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine
from sqlmodel import Session

from service import demo, migrations
from service.app import create_app
from service.db import make_engine
from service.users.models import Role
from tests.conftest import Person
from tests.test_route_access import api_routes

SEED = 20_240_610
EXAMPLES_PER_OPERATION = 10

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        # No shrinking: a failure is reported as found (with its curl command) without minutes
        # of replays.
        "generation": {
            "max-examples": EXAMPLES_PER_OPERATION,
            "deterministic": True,
            "no-shrink": True,
        },
        # Schemathesis' own edge-case phase multiplies the requests by ~20: out of CI's budget.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
SCHEMA = schemathesis.openapi.from_dict(create_app().openapi(), config=CONFIG)


def error_body_shape(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every 4xx says what went wrong in the one JSON error shape."""
    if not 400 <= response.status_code < 500:
        return
    try:
        body = response.json()
    except ValueError as error:
        raise AssertionError(
            f"{response.status_code} body is not JSON: {response.text!r}"
        ) from error
    error_part = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error_part, dict), f"no 'error' object in {body!r}"
    assert isinstance(error_part.get("code"), str), f"no string 'code' in {body!r}"
    assert isinstance(error_part.get("message"), str), f"no string 'message' in {body!r}"


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    error_body_shape,
]


@pytest.fixture(scope="module")
def engine(database_url_factory: Callable[[str], str]) -> Iterator[Engine]:
    """SQLite only (see the module's docstring): overrides conftest's two-database engine."""
    url = database_url_factory("sqlite")
    migrations.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def callers(make_person: Callable[..., Person]) -> dict[str, dict[str, str]]:
    """The headers of each caller: none, or a bearer token of the role."""
    return {"anonymous": {}} | {role.value: make_person(role).headers for role in Role}


@pytest.fixture
def client(app: TestClient) -> ASGIClient:
    """Schemathesis' in-process client on the test application (its rolled-back session).
    Not entered as a context manager: the application's lifespan already ran in `app`."""
    return get_client(app.app)


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    # The fixtures are per test (one rolled-back transaction), not per example, on purpose.
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz(
    case: schemathesis.Case, callers: dict[str, dict[str, str]], client: ASGIClient
) -> None:
    for name, headers in callers.items():
        try:
            case.call_and_validate(
                session=client, headers=headers, checks=CHECKS, allow_redirects=False
            )
        except Exception as error:
            error.add_note(f"{case.operation.label} as {name}")
            raise


def test_every_api_route_is_in_the_fuzzed_schema() -> None:
    served = {
        (method.lower(), route.path)
        for route in api_routes()
        if route.path.startswith("/api/")
        for method in route.methods
    }
    fuzzed = {(op.ok().method, op.ok().path) for op in SCHEMA.get_all_operations()}
    assert served, "no API route found"
    assert served - fuzzed == set()


STATEFUL_SCENARIOS = 15
STATEFUL_STEPS = 8
# A separate schema: link inference runs only when the stateful phase is on, and only valid
# requests are generated for it, so a scenario gets past validation into the linked operations.
STATEFUL_SCHEMA = schemathesis.openapi.from_dict(
    create_app().openapi(),
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"deterministic": True, "no-shrink": True, "mode": "positive"},
            "phases": {"coverage": {"enabled": False}},
        }
    ),
)


@pytest.mark.parametrize("role", list(Role))
def test_api_fuzz_stateful(role: Role, session: Session, client: ASGIClient) -> None:
    (token,) = [token for user, token in demo._seed(session) if user.role == role]
    headers = {"Authorization": f"Bearer {token}"}
    operations: set[str] = set()

    class DemoInstitution(STATEFUL_SCHEMA.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"session": client, "headers": headers, "allow_redirects": False}

        def validate_response(
            self, response: schemathesis.Response, case: schemathesis.Case, *_: Any, **__: Any
        ) -> None:
            if response.status_code < 400:
                operations.add(case.operation.label)
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as error:
                error.add_note(f"{case.operation.label} as {role.value}")
                raise

    DemoInstitution.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # Linked steps did reach existing records, not only the lists and refusals.
    assert any("{" in label for label in operations), sorted(operations)
