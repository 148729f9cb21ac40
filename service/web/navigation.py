"""The menu a person sees: every page they may open, read off the pages' own declarations.

Deriving it from `require(...)` keeps one source of truth: a page a role cannot open is never
offered to that role.
"""

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from service.auth.deps import access_of
from service.users.models import Role

MENU: tuple[tuple[str, str], ...] = (
    ("Dashboard", "/"),
    ("Register", "/accounts"),
    ("Posts", "/posts"),
    ("Review", "/review"),
    ("Consents", "/consents"),
    ("Findings", "/findings"),
    ("People", "/users"),
    ("Audit log", "/audit"),
    ("Open records", "/records"),
    ("Report an account", "/report/staff"),
)
_STATE_ATTRIBUTE = "imprimatur_page_access"


def declared_access(dependant: Dependant) -> list[frozenset[Role]]:
    """Every access declaration in a route's dependency tree (a sound route has one)."""
    found = []
    if dependant.call is not None and (declared := access_of(dependant.call)) is not None:
        found.append(declared)
    for sub in dependant.dependencies:
        found.extend(declared_access(sub))
    return found


def _page_access(app: FastAPI) -> dict[str, frozenset[Role]]:
    cached: dict[str, frozenset[Role]] | None = getattr(app.state, _STATE_ATTRIBUTE, None)
    if cached is None:
        cached = {}
        for route in iter_route_contexts(app.routes):
            if isinstance(route.original_route, APIRoute) and "GET" in (route.methods or ()):
                declared = declared_access(route.dependant)
                if len(declared) == 1 and route.path:
                    cached[route.path] = declared[0]
        setattr(app.state, _STATE_ATTRIBUTE, cached)
    return cached


def menu_for(app: FastAPI, role: Role) -> list[tuple[str, str]]:
    access = _page_access(app)
    return [(label, path) for label, path in MENU if role in access.get(path, frozenset())]
