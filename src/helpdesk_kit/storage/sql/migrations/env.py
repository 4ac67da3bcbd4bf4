"""Alembic environment of helpdesk_kit: migrations run on the connection the caller passes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from helpdesk_kit.storage.sql.tables import metadata

config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=getattr(connection, "dialect").name == "sqlite",  # noqa: B009
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # ``alembic -x url=...`` from a checkout, for developers writing migrations
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("pass the database URL: alembic -x url=sqlite:///helpdesk.db ...")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
