"""Read an entity's recorded states straight from Home Assistant's recorder database.

For ``scripts/replay --recorder home-assistant_v2.db``: a copy of the database is
enough, Home Assistant need not run. SQLite only, opened read-only
(``file:...?mode=ro``), with the standard library alone (the engine imports no Home
Assistant).

The tables are the recorder's since schema 38 (Home Assistant 2023.4; current Home
Assistant writes schema 48 and later): ``states_meta`` names each entity once
(``metadata_id``, ``entity_id``), ``states`` holds each state written (``state``,
``last_updated_ts`` in epoch seconds, ``attributes_id``) and ``state_attributes`` the
attributes as JSON, shared by the states that have the same (``shared_attrs``). Rows
from before the attributes were shared keep theirs in ``states.attributes``, which is
used when there is no shared copy, as the recorder's own history does.

The states of a period are those written after its start and before its end (both
excluded), oldest first: what Home Assistant's history API returns for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import closing
from datetime import UTC, datetime
import json
from pathlib import Path
import sqlite3
from typing import Any, Final
from urllib.parse import quote

from .reports import RecordedState

REQUIRED: Final[Mapping[str, frozenset[str]]] = {
    "states": frozenset({"state", "last_updated_ts", "attributes_id", "metadata_id"}),
    "states_meta": frozenset({"metadata_id", "entity_id"}),
    "state_attributes": frozenset({"attributes_id", "shared_attrs"}),
}
"""The tables and columns read (schema 38 and later)."""
BUSY_TIMEOUT_S: Final = 5.0
"""How long a database another program holds locked is waited for."""


class RecorderDatabaseError(Exception):
    """The database cannot be read, or is no recorder database this can read."""


def open_database(path: Path) -> sqlite3.Connection:
    """Open a recorder database read-only; raise if it is none this can read.

    The connection never writes: not even a journal (``mode=ro``). A database another
    program holds locked (a write under way, in rollback-journal mode) is waited for
    :data:`BUSY_TIMEOUT_S` seconds, then refused as locked.
    """
    if path.is_dir():
        raise RecorderDatabaseError("is a directory")
    if not path.is_file():
        raise RecorderDatabaseError("no such file")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as err:  # not readable
        raise RecorderDatabaseError(f"cannot open it ({err})") from err
    try:
        _check_schema(connection)
    except sqlite3.Error as err:
        connection.close()
        raise RecorderDatabaseError(_schema_error(err)) from err
    except RecorderDatabaseError:
        connection.close()
        raise
    return connection


def _schema_error(err: sqlite3.Error) -> str:
    """Say why the schema could not be read: locked, no database, or SQLite's words."""
    code = getattr(err, "sqlite_errorcode", 0) & 0xFF  # the primary result code
    if code in {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}:
        return (
            f"the database is locked by another program; copy it or try again ({err})"
        )
    if code == sqlite3.SQLITE_NOTADB:
        return f"not an SQLite database ({err})"
    return f"cannot read it ({err})"


def entity_ids(connection: sqlite3.Connection) -> list[str]:
    """Return the entity ids the recorder has written states of (or once had)."""
    try:
        with closing(connection.execute("SELECT entity_id FROM states_meta")) as rows:
            return [row[0] for row in rows if isinstance(row[0], str)]
    except sqlite3.Error as err:
        raise RecorderDatabaseError(f"cannot read the entities ({err})") from err


def _check_schema(connection: sqlite3.Connection) -> None:
    """Refuse a database without the tables and columns read."""
    for table, columns in REQUIRED.items():
        found = _columns(connection, table)
        if not columns <= found:
            version = schema_version(connection)
            schema = "" if version is None else f" (schema {version})"
            raise RecorderDatabaseError(
                f"not a Home Assistant recorder database of schema 38 or later{schema}:"
                f" no {table} table with {', '.join(sorted(columns))}"
            )


def _columns(connection: sqlite3.Connection, table: str) -> set[str]:
    """Return the columns of a table (none if there is no such table)."""
    with closing(connection.execute(f"PRAGMA table_info({table})")) as cursor:
        return {str(row[1]) for row in cursor}


def schema_version(connection: sqlite3.Connection) -> int | None:
    """Return the recorder's newest schema version, if the database says."""
    try:
        with closing(
            connection.execute(
                "SELECT schema_version FROM schema_changes"
                " ORDER BY change_id DESC LIMIT 1"
            )
        ) as cursor:
            row = cursor.fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row is not None and isinstance(row[0], int) else None


def _query(connection: sqlite3.Connection, period: str, order: str) -> str:
    """Return the query of an entity's states in a period (its condition), in order."""
    attributes = (
        "COALESCE(a.shared_attrs, s.attributes)"
        if "attributes" in _columns(connection, "states")
        else "a.shared_attrs"
    )
    return (
        f"SELECT s.state, s.last_updated_ts, {attributes}"  # noqa: S608 - no input
        " FROM states AS s"
        " JOIN states_meta AS m ON s.metadata_id = m.metadata_id"
        " LEFT JOIN state_attributes AS a ON s.attributes_id = a.attributes_id"
        f" WHERE m.entity_id = ? AND {period} ORDER BY s.last_updated_ts {order}"
    )


def read_states(
    connection: sqlite3.Connection, entity_id: str, start: datetime, end: datetime
) -> Iterator[RecordedState]:
    """Yield the states of ``entity_id`` written after ``start`` and before ``end``.

    Rows without a time are skipped; attributes that are not a JSON object are empty
    (as Home Assistant reads them).
    """
    try:
        query = _query(
            connection, "s.last_updated_ts > ? AND s.last_updated_ts < ?", "ASC"
        )
        cursor = connection.execute(
            query, (entity_id, start.timestamp(), end.timestamp())
        )
        with closing(cursor):
            yield from filter(None, (row_state(*row) for row in cursor))
    except sqlite3.Error as err:
        raise RecorderDatabaseError(f"cannot read the states ({err})") from err


def latest_state(
    connection: sqlite3.Connection, entity_id: str, before: datetime
) -> RecordedState | None:
    """Return the newest state of ``entity_id`` written before ``before``, if any."""
    try:
        query = _query(connection, "s.last_updated_ts < ?", "DESC LIMIT 1")
        with closing(
            connection.execute(query, (entity_id, before.timestamp()))
        ) as cursor:
            row = cursor.fetchone()
    except sqlite3.Error as err:
        raise RecorderDatabaseError(f"cannot read the states ({err})") from err
    return None if row is None else row_state(*row)


def row_state(
    state: object, moment: object, attributes: object
) -> RecordedState | None:
    """Return a row of the states table as a recorded state; None without a time.

    ``state`` may be NULL (an empty state); the time is epoch seconds; the attributes
    are JSON text (or NULL).
    """
    if isinstance(moment, bool) or not isinstance(moment, (int, float)):
        return None
    try:
        timestamp = datetime.fromtimestamp(moment, UTC)
    except OverflowError, OSError, ValueError:
        return None
    return RecordedState(
        state=state if isinstance(state, str) else "",
        attributes=decode_attributes(attributes),
        timestamp=timestamp,
    )


def decode_attributes(text: object) -> dict[str, Any]:
    """Return attributes stored as JSON; empty if they are none or no JSON object."""
    if not isinstance(text, (str, bytes)):
        return {}
    try:
        value = json.loads(text)
    except ValueError, RecursionError:
        return {}
    return value if isinstance(value, dict) else {}
