"""How the routines act on targets: one call per target, the shared guard, decisions.

Every routine part (lights, climate, departure, garage door, notifications) acts through
an :class:`Actuator`: a failing or missing target is reported and skipped while the others
go on, two cars share a guard so that a target is acted on once, and each part's last
decision (what it did or why it did nothing) is kept for diagnostics and logged at debug.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN, LOGGER
from ..engine import EventType

TARGET_GUARD: HassKey[dict[tuple[str, str], datetime]] = HassKey(
    f"{DOMAIN}_target_guard"
)
"""When each target was last acted on, and how, by any car: two cars, one action.

Shared by every car of the Home Assistant instance (the one piece of state that is not a
single car's), so it lives in ``hass.data`` under a typed key, not in an entry."""

SKIPPED: Final = "skipped"
RAN: Final = "ran"


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What a routine part last decided, and why (shown in diagnostics)."""

    at: datetime
    trigger: str | None
    """The transition that asked (``None``: a time check or a manual run)."""
    outcome: str
    """``ran`` or ``skipped``."""
    reason: str
    """Why: ``done`` (something was changed), ``nothing_to_do``, ``switched_off``,
    ``snoozed``, ``cooldown``, ``condition`` (daylight / bright enough), ``no_targets``,
    ``disabled``, ``someone_home``, ``no_eta``, ``not_yet``, ``manual``, ``waiting``
    (the departure waits for the household), ``came_back``, ``too_late`` (a cancelled
    approach after the garage door's close window), ``not_closed`` / ``not_open``,
    ``unavailable``, ``obstruction``, ``not_ours`` (an open door Homecoming did not
    open while someone is home)."""
    actions: int = 0
    rate_source: str | None = None
    """For a climate decision of a pre-heat timed by a rate: which rate timed it,
    ``learned`` (each thermostat's learned rate), ``set`` (the options' rate) or
    ``mixed``; ``None`` otherwise."""


def missing_target_issue_id(entry_id: str, entity_id: str) -> str:
    """Return the id of the repair issue of a routine target that does not exist."""
    return f"missing_target_{entry_id}_{entity_id}"


class Actuator:
    """Acts on one car's routine targets."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        cooldown: Callable[[], timedelta],
    ) -> None:
        """Act for ``entry``'s car; ``cooldown`` gives the routines' cooldown now."""
        self.hass = hass
        self.entry = entry
        self._cooldown = cooldown
        self.decisions: dict[str, Decision] = {}
        """The last decision of each part (``lights``, ``climate``, ``departure``,
        ``garage_door``, ``notifications``)."""
        self.present: set[str] = set()
        self.failed: set[str] = set()
        """Targets that existed, and that failed or were missing, since :meth:`reset`."""
        self._reported_missing: set[str] = set()

    def reset(self) -> None:
        """Start counting what exists and what failed afresh (a manual run)."""
        self.present.clear()
        self.failed.clear()

    async def async_call(
        self, domain: str, service: str, data: dict[str, Any], *, target: str = ""
    ) -> bool:
        """Call one service for one target; a failure is logged and skipped."""
        try:
            await self.hass.services.async_call(domain, service, data, blocking=True)
        except Exception as err:  # noqa: BLE001 - any target's failure stays its own
            # Not only HomeAssistantError: a template entity's action that fails its
            # schema raises a validation error, an integration may raise anything.
            who = target or data.get(ATTR_ENTITY_ID)
            LOGGER.warning(
                "%s: %s.%s for %s failed: %s",
                self.entry.title,
                domain,
                service,
                who,
                err,
            )
            self.failed.add(str(who))
            return False
        return True

    def state(self, entity_id: str) -> State | None:
        """Return a routine target's state, noting that it exists."""
        state = self.hass.states.get(entity_id)
        if state is not None:
            self.present.add(entity_id)
        return state

    def report_missing(self, entity_id: str, *, fixable: bool = True) -> None:
        """Say once that a target does not exist (a repair the user can accept)."""
        self.failed.add(entity_id)
        if entity_id in self._reported_missing:
            return
        self._reported_missing.add(entity_id)
        LOGGER.warning(
            "%s: routine target %s does not exist", self.entry.title, entity_id
        )
        if not fixable:
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            missing_target_issue_id(self.entry.entry_id, entity_id),
            data={"entry_id": self.entry.entry_id, "entity_id": entity_id},
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="missing_target",
            translation_placeholders={"entity": entity_id, "name": self.entry.title},
        )

    def clear_missing(self, entity_id: str) -> None:
        """Withdraw the missing-target report of a target that exists again."""
        if entity_id in self._reported_missing:
            self._reported_missing.discard(entity_id)
            ir.async_delete_issue(
                self.hass,
                DOMAIN,
                missing_target_issue_id(self.entry.entry_id, entity_id),
            )

    def guarded(self, entity_id: str, action: str) -> bool:
        """Tell whether any car did ``action`` to ``entity_id`` within the cooldown."""
        last = self.hass.data.setdefault(TARGET_GUARD, {}).get((entity_id, action))
        return last is not None and dt_util.utcnow() - last < self._cooldown()

    def guard(self, entity_id: str, action: str) -> None:
        """Note that ``action`` was done to ``entity_id`` now."""
        self.hass.data.setdefault(TARGET_GUARD, {})[(entity_id, action)] = (
            dt_util.utcnow()
        )

    def unguard(self, entity_id: str, action: str) -> None:
        """Forget ``action`` on ``entity_id`` (it was undone)."""
        self.hass.data.setdefault(TARGET_GUARD, {}).pop((entity_id, action), None)

    def decide(
        self,
        part: str,
        trigger: EventType | None,
        reason: str,
        actions: int = 0,
        *,
        rate_source: str | None = None,
    ) -> None:
        """Remember (and log at debug) what a routine part decided and why."""
        outcome = RAN if actions else SKIPPED
        self.decisions[part] = Decision(
            at=dt_util.utcnow(),
            trigger=None if trigger is None else trigger.value,
            outcome=outcome,
            reason=reason,
            actions=actions,
            rate_source=rate_source,
        )
        LOGGER.debug(
            "%s: %s %s on %s (%s)",
            self.entry.title,
            part,
            outcome,
            "a check" if trigger is None else trigger.value,
            reason,
        )
