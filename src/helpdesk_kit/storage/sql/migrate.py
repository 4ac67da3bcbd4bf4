"""Running the Alembic migrations that ship inside the package (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

__all__ = [
    "MIGRATIONS",
    "SchemaState",
    "alembic_config",
    "current_revision",
    "head_revision",
    "schema_state",
    "upgrade",
]

#: The folder with ``env.py`` and ``versions/``.
MIGRATIONS = Path(__file__).with_name("migrations")

SchemaState = Literal["empty", "current", "behind", "ahead", "unversioned"]


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` whose scripts are the package's migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def schema_state(connection: Connection) -> SchemaState:
    """Whether the database is empty, at the newest migration, behind or ahead of it."""
    current = current_revision(connection)
    if current is None:
        return "unversioned" if inspect(connection).get_table_names() else "empty"
    script = ScriptDirectory.from_config(alembic_config())
    if current == script.get_current_head():
        return "current"
    known = {rev.revision for rev in script.walk_revisions()}
    return "behind" if current in known else "ahead"


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` in one transaction."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
