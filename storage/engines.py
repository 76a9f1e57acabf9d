"""Which engine a DATABASE_URL names, and the errors either engine raises."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from storage.db import Database, SqliteDatabase
from storage.postgres import PostgresDatabase, is_postgres

# What a statement can raise on either engine (a constraint, a lost connection...).
STORAGE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, psycopg.Error)
# Those about the values written (too big, not encodable), not the database: the same at
# every try, whatever the database's state.
DATA_ERRORS: tuple[type[BaseException], ...] = (sqlite3.DataError, psycopg.DataError)


def sqlite_path(url: str) -> Path:
    """The file a sqlite:/// URL names."""
    return Path(url.removeprefix("sqlite:///"))


def database_for(url: str, pool_size: int = 10) -> Database:
    """The database a DATABASE_URL names (not yet open): SQLite or PostgreSQL."""
    if is_postgres(url):
        return PostgresDatabase(url, pool_size)
    return SqliteDatabase(sqlite_path(url))
