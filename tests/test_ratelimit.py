"""A shared request budget: several workers together stay within a platform's limit."""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis

from connectors import RateLimited
from connectors.simulated import SimulatedConnector
from service.ratelimit import Budget, BudgetedConnector, Limit, MemoryBudget, RedisBudget


@pytest.fixture
def redis_client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


def workers_calling(budgets: list[Budget], key: str, limit: Limit, calls_each: int) -> int:
    """Each budget is one worker (its own connection); returns how many calls went through."""
    made = []
    lock = threading.Lock()
    start = threading.Barrier(len(budgets))

    def work(budget: Budget) -> None:
        connector = BudgetedConnector(SimulatedConnector(), budget, key, limit)
        start.wait()
        for _ in range(calls_each):
            try:
                connector.search_accounts("anything")
            except RateLimited:
                continue
            with lock:
                made.append(1)

    threads = [threading.Thread(target=work, args=(b,)) for b in budgets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return len(made)


def test_four_workers_share_one_redis_budget(redis_url: str) -> None:
    limit = Limit(capacity=10, per_seconds=3600)  # refills a token every 6 minutes
    key = f"test:{uuid.uuid4().hex}"
    workers = [RedisBudget(redis.Redis.from_url(redis_url)) for _ in range(4)]
    assert workers_calling(workers, key, limit, calls_each=10) == 10


def test_a_platforms_429_blocks_every_worker_until_its_reset(
    redis_client: redis.Redis, redis_url: str
) -> None:
    key = f"test:{uuid.uuid4().hex}"
    limit = Limit(capacity=100, per_seconds=1)
    first, second = RedisBudget(redis_client), RedisBudget(redis.Redis.from_url(redis_url))
    limited = SimulatedConnector()
    reset = datetime.now(UTC) + timedelta(minutes=5)
    limited.fail_next(RateLimited("simulated", "429", reset))
    with pytest.raises(RateLimited):
        BudgetedConnector(limited, first, key, limit).search_accounts("x")
    with pytest.raises(RateLimited) as blocked:
        BudgetedConnector(SimulatedConnector(), second, key, limit).search_accounts("x")
    assert abs((blocked.value.retry_at - reset).total_seconds()) < 5


def test_the_embedded_budget_holds_within_one_process() -> None:
    budget = MemoryBudget()
    limit = Limit(capacity=5, per_seconds=3600)
    assert workers_calling([budget] * 3, "test:memory", limit, calls_each=5) == 5


def test_limits_parse() -> None:
    assert Limit.parse("300/900") == Limit(300, 900.0)
    assert Limit.parse("300/900").rate == pytest.approx(1 / 3)
