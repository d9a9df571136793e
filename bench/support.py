"""What the benchmark scripts share: running salesflow commands and a database of their own."""

from __future__ import annotations

import subprocess
import sys


def salesflow(env: dict[str, str], *args: str) -> None:
    """Run a salesflow command in a child process with the given environment."""
    subprocess.run([sys.executable, "-m", "salesflow", *args], env=env, check=True)


def database_url(server_url: str, database: str) -> str:
    """The URL of `database` on the server that `server_url` points at."""
    return server_url.rsplit("/", 1)[0] + "/" + database


def fresh_postgres(server_url: str, database: str) -> str:
    """Drop and create `database` on the server; its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database}")
        connection.execute(f"CREATE DATABASE {database}")
    return database_url(server_url, database)
