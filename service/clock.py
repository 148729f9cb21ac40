"""The service's only source of "now", so tests can move time without sleeping."""

import time
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Pin `now()` to `at` (timezone-aware), or release it with None."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs a timezone-aware datetime")
    _frozen = at


def sleep(seconds: float) -> None:
    """Wait on the service's clock: a frozen clock moves on instead, so tests never sleep."""
    global _frozen
    if _frozen is not None:
        _frozen += timedelta(seconds=seconds)
    else:
        time.sleep(seconds)
