"""Hand-made recorder databases: the tables and columns of the recorder's schema."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import closing
from datetime import datetime
import json
from pathlib import Path
import sqlite3
from typing import Any

from custom_components.homecoming.engine import Fix

TABLES = """
CREATE TABLE states_meta (metadata_id INTEGER PRIMARY KEY, entity_id VARCHAR(255));
CREATE TABLE state_attributes (
    attributes_id INTEGER PRIMARY KEY, hash BIGINT, shared_attrs TEXT
);
CREATE TABLE states (
    state_id INTEGER PRIMARY KEY, entity_id CHAR(0), state VARCHAR(255),
    attributes CHAR(0), event_id SMALLINT, last_changed CHAR(0), last_changed_ts FLOAT,
    last_reported_ts FLOAT, last_updated CHAR(0), last_updated_ts FLOAT,
    old_state_id INTEGER, attributes_id INTEGER, origin_idx SMALLINT,
    metadata_id INTEGER
);
CREATE INDEX ix_states_metadata_id_last_updated_ts
    ON states (metadata_id, last_updated_ts);
CREATE TABLE schema_changes (
    change_id INTEGER PRIMARY KEY, schema_version INTEGER, changed DATETIME
);
INSERT INTO schema_changes (schema_version, changed) VALUES (50, '2025-01-01');
INSERT INTO schema_changes (schema_version, changed) VALUES (53, '2026-01-01');
"""
"""The recorder's tables (schema 53), with the columns the replay reads and more."""


def gps(fix: Fix, **extra: Any) -> dict[str, Any]:
    """Return the attributes a GPS tracker writes for a fix."""
    return {
        "latitude": fix.latitude,
        "longitude": fix.longitude,
        "gps_accuracy": fix.accuracy,
        **extra,
    }


class RecorderFile:
    """A recorder database file being written, as the recorder writes it."""

    def __init__(self, path: Path, tables: str = TABLES) -> None:
        """Create the database with these tables."""
        self.path = path
        self.connection = sqlite3.connect(path)
        self.connection.executescript(tables)
        self._meta: dict[str, int] = {}

    def add(
        self,
        entity_id: str,
        state: str | None,
        attributes: Mapping[str, Any] | str | None,
        at: datetime | float | None,
        *,
        legacy: str | None = None,
    ) -> None:
        """Write one state: its attributes shared (JSON), or in the legacy column."""
        meta = self._meta.get(entity_id)
        if meta is None:
            cursor = self.connection.execute(
                "INSERT INTO states_meta (entity_id) VALUES (?)", (entity_id,)
            )
            meta = self._meta[entity_id] = int(cursor.lastrowid or 0)
        attributes_id = None
        if attributes is not None:
            text = attributes if isinstance(attributes, str) else json.dumps(attributes)
            cursor = self.connection.execute(
                "INSERT INTO state_attributes (shared_attrs) VALUES (?)", (text,)
            )
            attributes_id = cursor.lastrowid
        moment = at.timestamp() if isinstance(at, datetime) else at
        self.connection.execute(
            "INSERT INTO states (state, attributes, last_updated_ts, attributes_id,"
            " metadata_id) VALUES (?, ?, ?, ?, ?)",
            (state, legacy, moment, attributes_id, meta),
        )

    def add_fixes(self, entity_id: str, fixes: Iterable[Fix]) -> None:
        """Write a state of a GPS tracker for each fix."""
        for fix in fixes:
            self.add(entity_id, "not_home", gps(fix), fix.timestamp)

    def close(self) -> Path:
        """Commit and close; return the file."""
        with closing(self.connection):
            self.connection.commit()
        return self.path
