"""Notifications: tell the household what the car and its routines do.

Messages go to ``notify`` entities (``notify.send_message``) and to the Companion app's
notify actions (``notify.mobile_app_<device>``), in Home Assistant's language (the
``common`` strings of the integration's translations). A message about a coming trip
sent to the Companion app carries a "Skip this time" button; pressing it fires
``mobile_app_notification_action`` with :func:`skip_action`, which holds the car's
routines until the trip ends. See ``docs/routines.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from homeassistant.components.notify.const import (
    ATTR_DATA,
    ATTR_MESSAGE,
    ATTR_TITLE,
    DOMAIN as NOTIFY_DOMAIN,
    SERVICE_SEND_MESSAGE,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..engine import EventType
from .actuator import Actuator
from .options import NotificationOptions

SKIP_ACTION_PREFIX: Final = "HOMECOMING_SKIP_"
EVENT_MOBILE_APP_ACTION: Final = "mobile_app_notification_action"
"""The bus event the Companion app fires when a notification's button is pressed."""
ATTR_ACTION: Final = "action"
ATTR_ACTIONS: Final = "actions"
ATTR_TAG: Final = "tag"
TRIP_EVENTS: Final = frozenset({EventType.APPROACH_STARTED, EventType.ARRIVING})
"""Messages about a trip still to come: the Companion app gets a "Skip this time"."""
PART: Final = "notifications"


def skip_action(entry_id: str) -> str:
    """Return the notification action id that skips ``entry_id``'s routines."""
    return f"{SKIP_ACTION_PREFIX}{entry_id}"


class _Placeholders(dict[str, str]):
    """Placeholders for a message; a missing one shows as ``{name}``, never raises."""

    def __missing__(self, key: str) -> str:
        return f"{{{key}}}"


def minutes_until(eta: datetime, now: datetime) -> int:
    """Return the whole minutes from ``now`` to ``eta`` (at least 1)."""
    return max(1, round((eta - now).total_seconds() / 60))


class Notifier:
    """Sends one car's notifications."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        actuator: Actuator,
        options: Callable[[], NotificationOptions],
        car_name: Callable[[], str],
    ) -> None:
        """Notify for ``entry``'s car (named ``car_name()``) as ``options()`` says."""
        self.hass = hass
        self.entry = entry
        self._car_name = car_name
        self._actuator = actuator
        self._options = options
        self._reported_missing: set[str] = set()

    def wants(self, kind: str) -> bool:
        """Tell whether a notification of ``kind`` goes anywhere."""
        options = self._options()
        return kind in options.events and bool(options.targets or options.mobile_app)

    async def async_send(
        self,
        kind: str,
        key: str,
        placeholders: Mapping[str, str],
        *,
        trigger: EventType | None = None,
    ) -> int:
        """Send the message ``key`` (a ``common`` string) if ``kind`` is ticked.

        ``placeholders`` fill the message; ``{car}`` is the car's name. Returns how many
        targets took it; a failing target is logged and skipped.
        """
        if not self.wants(kind):
            return 0
        options = self._options()
        language = self.hass.config.language
        strings = await async_get_translations(self.hass, language, "common", [DOMAIN])
        prefix = f"component.{DOMAIN}.common."
        template = strings.get(f"{prefix}{key}", key)
        title = self._car_name()
        message = template.format_map(_Placeholders({"car": title, **placeholders}))
        sent = 0
        for entity_id in options.targets:
            if self._actuator.state(entity_id) is None:
                self._actuator.report_missing(entity_id)
                continue
            self._actuator.clear_missing(entity_id)
            sent += await self._actuator.async_call(
                NOTIFY_DOMAIN,
                SERVICE_SEND_MESSAGE,
                {ATTR_ENTITY_ID: entity_id, ATTR_TITLE: title, ATTR_MESSAGE: message},
            )
        data: dict[str, Any] = {ATTR_TAG: f"{DOMAIN}_{self.entry.entry_id}"}
        if trigger in TRIP_EVENTS:
            data[ATTR_ACTIONS] = [
                {
                    ATTR_ACTION: skip_action(self.entry.entry_id),
                    ATTR_TITLE: strings.get(f"{prefix}skip_this_time", "Skip"),
                }
            ]
        for service in options.mobile_app:
            if not self.hass.services.has_service(NOTIFY_DOMAIN, service):
                if service not in self._reported_missing:
                    self._reported_missing.add(service)
                    LOGGER.warning(
                        "%s: notify.%s does not exist (is the phone still set up?)",
                        self.entry.title,
                        service,
                    )
                continue
            self._reported_missing.discard(service)
            sent += await self._actuator.async_call(
                NOTIFY_DOMAIN,
                service,
                {ATTR_TITLE: title, ATTR_MESSAGE: message, ATTR_DATA: data},
                target=f"notify.{service}",
            )
        self._actuator.decide(PART, trigger, "done" if sent else "nothing_to_do", sent)
        return sent

    @staticmethod
    def clock(moment: datetime) -> str:
        """Return ``moment`` as the local wall-clock time (``17:42``)."""
        return dt_util.as_local(moment).strftime("%H:%M")
