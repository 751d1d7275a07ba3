"""What Homecoming would have done: a car's recorded history, replayed.

For a car that follows an entity, the entity's states are in Home Assistant's recorder.
:func:`async_replay` reads those of a period with the recorder's history API and replays
them through a fresh detector with the car's home and the given settings
(:class:`~.engine.trips.HistoryReplayer`: each state read as the live source reads it,
the clock ticking between them), all in the recorder's executor: the event loop never
waits for the database or the replay. It serves the ``homecoming.replay`` action and the
preview of the detection options (:func:`async_preview`).

Bounded: a period of at most :data:`MAX_DAYS` days and :data:`MAX_STATES` states, counted
before any is read; beyond either the replay is refused with a translated error, never
cut short. One replay at a time (:data:`REPLAY_LOCK`): the others wait their turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, cast

from homeassistant.components.recorder.db_schema import States
from homeassistant.components.recorder.entity_options import is_entity_recorded
from homeassistant.components.recorder.history import (
    get_significant_states_with_session,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .const import CONF_SOURCE, CONF_TRACKED_ENTITY, DOMAIN, LOGGER, SOURCE_ENTITY
from .detection import detection_options, settings_from_options
from .engine import Home, Settings
from .engine.reports import RecordedState
from .engine.trips import HistoryReplay, replay_history
from .runtime import HomecomingConfigEntry
from .sources.entity import SpeedAttribute, home_state_of, speed_attribute_of

MAX_DAYS: Final = 31
"""The longest period replayed."""
MAX_STATES: Final = 200_000
"""The most states replayed (30 days of a position every 13 seconds)."""
PREVIEW_DAYS: Final = 14
"""The detection options show what the last this many days would have given."""
RECORDER: Final = "recorder"
PREVIEW_ERRORS: Final[Mapping[str, str]] = {
    "replay_too_many_states": "replay_preview_too_many",
    "recorder_unavailable": "replay_preview_no_recorder",
    "entity_not_recorded": "replay_preview_not_recorded",
}
"""The preview's line for each error of the replay (else: no history)."""
REPLAY_LOCK: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_replay_lock")
"""Held while a replay (an action's or a preview's) reads and replays: one at a time
per Home Assistant, of all cars; the others wait their turn. Each holds a period's
states in memory, up to :data:`MAX_STATES`: side by side they would add up."""


class TooManyStates(Exception):
    """The period holds more states than :data:`MAX_STATES`."""

    def __init__(self, count: int) -> None:
        """Say how many there are."""
        super().__init__(count)
        self.count = count


@dataclass(frozen=True, slots=True, kw_only=True)
class _Request:
    """What the executor job needs: nothing of the event loop's but ``hass``."""

    entity_id: str
    home: Home
    home_state: str
    speed: SpeedAttribute | None
    settings: Settings
    start: datetime
    end: datetime


async def async_replay(
    hass: HomeAssistant,
    entry: HomecomingConfigEntry,
    start: datetime,
    end: datetime,
    options: Mapping[str, Any],
) -> HistoryReplay:
    """Replay a loaded car's recorded history from ``start`` to ``end`` (UTC).

    ``options``: the detection options to replay with (the car's, or others). Raises
    translated errors: the recorder is not running or does not record the entity
    (:class:`HomeAssistantError`), the period holds more than :data:`MAX_STATES` states
    (:class:`ServiceValidationError`), the database cannot be read.
    """
    entity_id: str = entry.data[CONF_TRACKED_ENTITY]
    if not _recorder_ready(hass):
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="recorder_unavailable"
        )
    if not is_entity_recorded(hass, entity_id):
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="entity_not_recorded",
            translation_placeholders={"entity": entity_id},
        )
    coordinator = entry.runtime_data.coordinator
    request = _Request(
        entity_id=entity_id,
        home=coordinator.engine.home,
        home_state=home_state_of(hass, coordinator.zone_entity_id),
        speed=speed_attribute_of(hass, entity_id),
        settings=settings_from_options(options),
        start=start,
        end=end,
    )
    try:
        async with hass.data.setdefault(REPLAY_LOCK, asyncio.Lock()):
            return await get_instance(hass).async_add_executor_job(
                _read_and_replay, hass, request
            )
    except TooManyStates as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="replay_too_many_states",
            translation_placeholders={
                "entity": entity_id,
                "count": str(err.count),
                "max": str(MAX_STATES),
            },
        ) from err
    except SQLAlchemyError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="replay_failed",
            translation_placeholders={
                "entity": entity_id,
                # The database's own words, not the statement that failed.
                "reason": str(getattr(err, "orig", None) or err),
            },
        ) from err


def _recorder_ready(hass: HomeAssistant) -> bool:
    """Whether the recorder is set up and its database ready to read."""
    if RECORDER not in hass.config.components:
        return False
    ready = get_instance(hass).async_db_ready
    return ready.done() and ready.result()


def _read_and_replay(hass: HomeAssistant, request: _Request) -> HistoryReplay:
    """Count, read and replay the states of the period (in the recorder's executor)."""
    entity_id = request.entity_id
    # A session of its own rather than session_scope, which logs a failed query with
    # its traceback: a failure here is the action's translated error.
    with get_instance(hass).get_session() as session:
        if (count := _count(hass, session, request)) > MAX_STATES:
            raise TooManyStates(count)
        found = get_significant_states_with_session(
            hass,
            session,
            request.start,
            request.end,
            [entity_id],
            include_start_time_state=False,
            significant_changes_only=False,
        ).get(entity_id, [])
    if len(found) > MAX_STATES:  # written since they were counted
        raise TooManyStates(len(found))
    return replay_history(
        (
            RecordedState(state.state, state.attributes, state.last_updated)
            for state in cast("list[State]", found)  # neither minimal nor compressed
        ),
        request.home,
        request.settings,
        request.start,
        request.end,
        entity_id=entity_id,
        home_state=request.home_state,
        speed=request.speed,
    )


def _count(hass: HomeAssistant, session: Session, request: _Request) -> int:
    """Return how many states of the entity the recorder has in the period.

    Those the history API returns for it: written after the start, before the end.
    """
    manager = get_instance(hass).states_meta_manager
    metadata_id = manager.get(request.entity_id, session, False)
    if metadata_id is None:
        return 0
    query = (
        select(func.count())
        .select_from(States)
        .where(
            States.metadata_id == metadata_id,
            States.last_updated_ts > request.start.timestamp(),
            States.last_updated_ts < request.end.timestamp(),
        )
    )
    return int(session.execute(query).scalar_one())


def replay_response(
    entry: HomecomingConfigEntry, options: Mapping[str, Any], result: HistoryReplay
) -> dict[str, Any]:
    """Return the ``homecoming.replay`` response: the car, the settings, the replay."""
    values, _ = detection_options(options)
    return {
        "car": entry.title,
        "entity_id": entry.data[CONF_TRACKED_ENTITY],
        "settings": values,
        **result.as_dict(dt_util.get_default_time_zone()),
    }


async def async_preview(
    hass: HomeAssistant, entry: HomecomingConfigEntry, options: Mapping[str, Any]
) -> str:
    """Return what the last :data:`PREVIEW_DAYS` days would have given, in a line.

    For the detection options: with ``options``, in Home Assistant's language. Empty for
    a car that does not follow an entity or is not set up; a short line when there is
    no history to replay, saying why (no recorder, the recorder excludes the entity,
    nothing recorded, too much of it). Never raises.
    """
    if (
        entry.data[CONF_SOURCE] != SOURCE_ENTITY
        or entry.state is not ConfigEntryState.LOADED
    ):
        return ""
    strings = await async_get_translations(
        hass, hass.config.language, "common", [DOMAIN]
    )
    end = dt_util.utcnow()
    values: dict[str, Any] = {"days": PREVIEW_DAYS, "max": MAX_STATES}
    key = "replay_preview"
    try:
        result = await async_replay(
            hass, entry, end - timedelta(days=PREVIEW_DAYS), end, options
        )
    except HomeAssistantError as err:
        LOGGER.debug("%s: no preview of the detection options: %s", entry.title, err)
        key = PREVIEW_ERRORS.get(err.translation_key or "", "replay_preview_no_history")
        values["entity"] = entry.data[CONF_TRACKED_ENTITY]
    else:
        summary = result.summary()
        values |= {
            "trips": summary["trips_home"],
            "false_approaches": summary["false_approaches"],
            "drive_bys": summary["drive_bys"],
        }
        if (median := summary["median_lead_s"]) is not None:
            values["lead"] = round(median / 60)
        if not summary["states"]:
            key = "replay_preview_no_history"
        elif median is None:
            key = "replay_preview_no_lead"
    template = strings.get(f"component.{DOMAIN}.common.{key}", "")
    return template.format_map(values)
