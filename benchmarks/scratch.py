"""Scratch databases for the benchmarks: a fresh SQLite file, then a fresh PostgreSQL schema.

Scripts run as ``python benchmarks/<name>.py`` have this folder on ``sys.path`` and import
it as ``from scratch import scratch_databases``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql import SqlStorage

PG_ENV = "HELPDESK_KIT_TEST_DATABASE_URL"

# The stem goes into a PostgreSQL schema name, "helpdesk_kit_<stem>_bench_<pid>_<8 hex>",
# which may have 63 characters at most.
_STEM = re.compile(r"^[a-z][a-z0-9_]{0,26}$")


def scratch_databases(stem: str, postgres: str | None) -> Iterator[tuple[str, SqlStorage]]:
    """Yield ``("sqlite", storage)`` then ``("postgresql", storage)``, fresh and migrated.

    The SQLite database is ``<stem>.db`` in a temporary folder (under ``$BENCH_DIR`` when
    set); the PostgreSQL one is a new schema ``helpdesk_kit_<stem>_bench_...`` on the server
    at ``postgres``, or at ``$HELPDESK_KIT_TEST_DATABASE_URL`` when that is ``None``. Each is
    closed and removed before the next is made, also when the caller stops early. Without a
    server URL PostgreSQL is skipped with a printed line.
    """
    if not _STEM.match(stem):
        raise ValueError(
            f"scratch database stem {stem!r} must be 1-27 lowercase letters, digits or "
            "underscores, starting with a letter (it names a PostgreSQL schema)"
        )
    from helpdesk_kit.storage.sql import SqlStorage

    folder = tempfile.mkdtemp(prefix=f"helpdesk-{stem}-bench-", dir=os.environ.get("BENCH_DIR"))
    try:
        storage = SqlStorage(f"sqlite:///{Path(folder) / f'{stem}.db'}")
        try:
            yield "sqlite", storage
        finally:
            storage.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    base = postgres or os.environ.get(PG_ENV)
    if not base:
        print(f"  (PostgreSQL skipped: give --postgres URL or {PG_ENV})")
        return
    from helpdesk_kit.storage.sql.isolation import create_schema, drop_schema, new_schema_name

    schema = new_schema_name(f"helpdesk_kit_{stem}_bench")
    url = create_schema(base, schema)
    try:
        storage = SqlStorage(url, migrate=True)
        try:
            yield "postgresql", storage
        finally:
            storage.close()
    finally:
        drop_schema(base, schema)
