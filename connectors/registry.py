"""Which connector serves which platform name, built from settings.

Adding a platform is adding a module whose connector has `from_settings(settings)` and one
line in `FACTORIES`. `get` builds a new connector on every call, so `api_calls` counts one
job's requests. In demo mode (`imprimatur serve --demo`), a platform whose settings are missing
is served by the simulated connector restricted to that platform, so the demo runs the whole
loop with no credentials; outside demo mode a missing setting is an error naming it.
"""

from collections.abc import Callable

from connectors.base import Connector, ConnectorNotConfigured
from connectors.facebook import FacebookConnector
from connectors.instagram import InstagramConnector
from connectors.simulated import SimulatedConnector
from connectors.x import XConnector
from service.settings import Settings, get_settings
from workflows.platforms import Platform

Factory = Callable[[Settings], Connector]

FACTORIES: dict[str, Factory] = {
    "x": XConnector.from_settings,
    "facebook": FacebookConnector.from_settings,
    "instagram": InstagramConnector.from_settings,
    "simulated": SimulatedConnector.from_settings,
}


def get(name: str, settings: Settings | None = None) -> Connector:
    """The connector for a platform name (`Platform` members are names too)."""
    settings = settings or get_settings()
    key = str(name).strip().lower()
    try:
        factory = FACTORIES.get(key)
        if factory is None:
            known = ", ".join(sorted(FACTORIES))
            raise ConnectorNotConfigured(key, f"no connector for {name!r} (known: {known})")
        return factory(settings)
    except ConnectorNotConfigured:
        if settings.demo and key in {platform.value for platform in Platform}:
            return SimulatedConnector.from_settings(settings, Platform(key))
        raise


def configured(settings: Settings | None = None) -> list[str]:
    """The platform names `get` would serve with real credentials (simulated excluded)."""
    settings = settings or get_settings()
    names = []
    for name, factory in FACTORIES.items():
        if name == "simulated":
            continue
        try:
            factory(settings)
        except ConnectorNotConfigured:
            continue
        names.append(name)
    return names
