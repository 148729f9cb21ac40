"""Every route declares who may call it, and behaves as declared for every role.

The declaration is read from the route's dependencies (`require(...)` or `PUBLIC`); a route
with none, or with two, fails here.
"""

from collections.abc import Callable
from enum import Enum
from typing import Any

import pytest
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth.deps import PUBLIC_ACCESS
from service.users.models import Role
from service.web.navigation import declared_access
from tests.conftest import Person


def api_routes() -> list[RouteContext]:
    """The routes as served: with their routers' prefixes and dependencies applied."""
    routes = iter_route_contexts(create_app().routes)
    return [r for r in routes if isinstance(r.original_route, APIRoute)]


def example_value(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return str(next(iter(annotation)).value)
    if annotation is int:
        return "999999"
    return "nobody@school.example"


def concrete_path(route: RouteContext) -> str:
    path = route.path
    for param in route.dependant.path_params:
        path = path.replace("{" + param.name + "}", example_value(param.field_info.annotation))
    return path


ROUTES = [(method, route) for route in api_routes() for method in sorted(route.methods)]


def test_every_route_declares_its_access_exactly_once() -> None:
    missing = [r.path for r in api_routes() if len(declared_access(r.dependant)) != 1]
    assert missing == [], f"routes without exactly one access declaration: {missing}"


@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r.path}" for m, r in ROUTES])
def test_route_obeys_its_declaration_for_every_role(
    app: TestClient,
    make_person: Callable[..., Person],
    method: str,
    route: RouteContext,
) -> None:
    (allowed,) = declared_access(route.dependant)
    path = concrete_path(route)
    body = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}

    anonymous = app.request(method, path, follow_redirects=False, **body)
    if allowed == PUBLIC_ACCESS:
        assert anonymous.status_code != 403 and anonymous.status_code < 500, anonymous.text
        return
    assert anonymous.status_code == 401, f"anonymous {method} {path}: {anonymous.status_code}"
    assert anonymous.json()["error"]["code"] == "unauthenticated"

    for role in Role:
        person = make_person(role)
        response = app.request(method, path, headers=person.headers, **body)
        if role in allowed:
            assert response.status_code not in {401, 403}, f"{role} refused: {response.text}"
            assert response.status_code < 500, f"{role}: {response.text}"
        else:
            assert response.status_code == 403, f"{role} got {response.status_code} on {path}"
            assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("method", "route"),
    [
        (m, r)
        for m, r in ROUTES
        if any(p.field_info.annotation is int for p in r.dependant.path_params)
    ],
    ids=lambda value: value if isinstance(value, str) else value.path,
)
def test_ids_beyond_64_bits_are_a_4xx(
    app: TestClient, superintendent: Person, method: str, route: RouteContext
) -> None:
    path = route.path
    for param in route.dependant.path_params:
        value = (
            str(2**70)
            if param.field_info.annotation is int
            else example_value(param.field_info.annotation)
        )
        path = path.replace("{" + param.name + "}", value)
    body = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
    response = app.request(method, path, headers=superintendent.headers, **body)
    assert 400 <= response.status_code < 500, f"{method} {path}: {response.status_code}"
