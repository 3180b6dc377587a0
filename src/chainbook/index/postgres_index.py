"""The optional PostgreSQL index, for deployments whose tools read the chain from SQL (as
CometBFT's psql event sink): the same tables and the same search as the embedded SQLite index
(index/sql.py), fed by the node the same way.

Configured in config.toml:

    index = "postgres"
    index_postgres_dsn = "host=127.0.0.1 port=5432 dbname=chainbook user=chainbook"
    index_postgres_schema = "node0"      # one schema per node: nodes may share a database

Rules kept:
- psycopg (3) is an optional dependency (`pip install 'chainbook[postgres]'`); without it a
  node configured for PostgreSQL refuses to start, naming the package.
- The schema name is an SQL identifier checked here ([a-z_][a-z0-9_]{0,62}), never quoted
  from outside input into SQL otherwise.
- Both connections are in autocommit mode; a batch of blocks is one explicit transaction.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from chainbook.errors import ConfigError
from chainbook.index import sql
from chainbook.index.base import SqlIndex

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresTxIndex(SqlIndex):
    placeholder = "%s"

    def __init__(self, dsn: str, schema: str = "chainbook") -> None:
        if _SCHEMA_NAME.fullmatch(schema) is None:
            raise ConfigError(
                f"index_postgres_schema must match [a-z_][a-z0-9_]{{0,62}}, got {schema!r}"
            )
        try:
            import psycopg
        except ImportError:
            raise ConfigError(
                "index = \"postgres\" needs the psycopg package: pip install 'chainbook[postgres]'"
            ) from None
        try:
            writer = psycopg.connect(dsn, autocommit=True)
            writer.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            writer.execute(f"SET search_path TO {schema}")
            reader = psycopg.connect(dsn, autocommit=True)
            reader.execute(f"SET search_path TO {schema}")
            super().__init__(writer, reader)
            self._open_schema()
        except psycopg.Error as exc:
            raise ConfigError(f"cannot open the PostgreSQL index ({dsn!r}): {exc}") from None

    @contextlib.contextmanager
    def _write_transaction(self) -> Iterator[Any]:
        with self._writer.transaction(), self._writer.cursor() as cursor:
            yield cursor

    def _has_meta_table(self, cursor: Any) -> bool:
        cursor.execute("SELECT to_regclass('index_meta')")
        row = cursor.fetchone()
        return row is not None and row[0] is not None

    def _create_tables(self, cursor: Any) -> None:
        for statement in sql.POSTGRES_SCHEMA.split(";"):
            if statement.strip():
                cursor.execute(statement)

    def _upsert_height_sql(self) -> str:
        return (
            "INSERT INTO index_meta (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
        )


__all__ = ["PostgresTxIndex"]
