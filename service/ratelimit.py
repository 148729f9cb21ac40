"""One request budget per platform and credential, shared by every worker.

Platforms count requests per app and per user token, not per process: with several Celery
workers each would otherwise spend the whole allowance. A token bucket in Redis (a Lua script,
so taking a token is atomic and uses Redis's clock) is shared by all of them; when a platform
answers 429 anyway, its reset time blocks that budget for everyone. In the embedded default
there is one process, and the same buckets live in memory.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import redis

import connectors
from connectors import Connector, RateLimited
from service import clock
from service.settings import Settings, get_settings

T = TypeVar("T")

BUCKET_SCRIPT = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > t then return {0, tostring(blocked - t)} end
local capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or t
tokens = math.min(capacity, tokens + (t - at) * rate)
local ok = 0
if tokens >= 1 then tokens = tokens - 1; ok = 1 end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', t)
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
if ok == 1 then return {1, '0'} end
return {0, tostring((1 - tokens) / rate)}
"""


@dataclass(frozen=True)
class Limit:
    capacity: int  # requests allowed in a burst
    per_seconds: float  # ...and refilled evenly over this many seconds

    @property
    def rate(self) -> float:
        return self.capacity / self.per_seconds

    @classmethod
    def parse(cls, text: str) -> "Limit":
        """'300/900' = 300 requests per 15 minutes."""
        count, _, seconds = text.partition("/")
        return cls(int(count), float(seconds or 1))


class Budget(Protocol):
    def take(self, key: str, limit: Limit) -> float:
        """0 when a request may go now, else the seconds to wait."""

    def block(self, key: str, until: datetime) -> None: ...


class RedisBudget:
    def __init__(self, client: redis.Redis) -> None:
        self._script = client.register_script(BUCKET_SCRIPT)
        self._client = client

    def take(self, key: str, limit: Limit) -> float:
        allowed, wait = self._script(
            keys=[f"imprimatur:bucket:{key}", f"imprimatur:blocked:{key}"],
            args=[limit.capacity, limit.rate],
        )
        return 0.0 if int(allowed) else float(wait)

    def block(self, key: str, until: datetime) -> None:
        seconds = until.timestamp() - time.time()
        if seconds > 0:
            self._client.set(f"imprimatur:blocked:{key}", until.timestamp(), px=int(seconds * 1000))


class MemoryBudget:
    """The embedded default's buckets; it follows the service clock like every embedded job."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._blocked: dict[str, float] = {}

    def take(self, key: str, limit: Limit) -> float:
        now = clock.now().timestamp()
        with self._lock:
            if self._blocked.get(key, 0) > now:
                return self._blocked[key] - now
            tokens, at = self._buckets.get(key, (float(limit.capacity), now))
            tokens = min(limit.capacity, tokens + (now - at) * limit.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / limit.rate

    def block(self, key: str, until: datetime) -> None:
        with self._lock:
            self._blocked[key] = until.timestamp()


_memory = MemoryBudget()


def shared_budget(settings: Settings | None = None) -> Budget:
    settings = settings or get_settings()
    if settings.jobs_backend == "celery":
        return RedisBudget(redis.Redis.from_url(settings.redis_url))
    return _memory


PLATFORM_CALLS = frozenset(
    {"lookup_handles", "search_accounts", "publish", "delete", "find_published", "latest_activity"}
)


class BudgetedConnector:
    """A connector whose every platform call first takes a token from the shared budget."""

    def __init__(self, inner: Connector, budget: Budget, key: str, limit: Limit) -> None:
        self._inner, self._budget, self._key, self._limit = inner, budget, key, limit

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name in PLATFORM_CALLS:
            return self._budgeted(attribute)
        return attribute

    def _budgeted(self, call: Callable[..., T]) -> Callable[..., T]:
        def guarded(*args: Any, **kwargs: Any) -> T:
            wait = self._budget.take(self._key, self._limit)
            if wait > 0:
                retry_at = clock.now() + timedelta(seconds=wait)
                raise RateLimited(self._inner.name, "shared request budget spent", retry_at)
            try:
                return call(*args, **kwargs)
            except RateLimited as limited:
                self._budget.block(self._key, limited.retry_at)
                raise

        return guarded


def platform_connector(
    name: str, *, credential: str = "app", settings: Settings | None = None
) -> Connector:
    """The platform's connector behind the budget of (platform, credential)."""
    settings = settings or get_settings()
    inner = connectors.get(name, settings)
    limits = settings.rate_limits
    limit = Limit.parse(limits.get(inner.name) or limits.get("default", "100/900"))
    key = f"{inner.name}:{credential}"
    return BudgetedConnector(inner, shared_budget(settings), key, limit)
