"""The schema exists only through Alembic, and the migrations match the models."""

from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from service import migrations
from service.db import make_engine
from service.models import metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(
    request: pytest.FixtureRequest, database_url_factory: Callable[[str], str]
) -> str:
    return database_url_factory(request.param)


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_database: str) -> None:
    migrations.upgrade(empty_database)
    assert table_names(empty_database) == set(metadata.tables)

    migrations.downgrade(empty_database, "base")
    assert table_names(empty_database) == set()

    migrations.upgrade(empty_database)
    assert table_names(empty_database) == set(metadata.tables)


def test_models_and_migrations_do_not_differ(empty_database: str) -> None:
    migrations.upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
