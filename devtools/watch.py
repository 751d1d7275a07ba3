"""Watching a running Home Assistant: events and states as they arrive on the websocket.

A :class:`Watcher` subscribes to ``homecoming_event`` and ``state_changed``, keeps every
event (:class:`Seen`, with the monotonic time it arrived) and the current states, calls
listeners as events arrive, and waits for conditions on them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass
import time
from typing import Any, Self

import aiohttp

from devtools import HarnessError
from devtools.client import HassClient, WebSocket


@dataclass(frozen=True, slots=True)
class Seen:
    """An event received on the websocket, with the monotonic time it arrived."""

    at: float
    event_type: str
    data: dict[str, Any]


class Watcher(WebSocket):
    """A websocket connection: commands, and the events it is subscribed to."""

    def __init__(self, client: HassClient, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Use an authenticated websocket."""
        self.events: list[Seen] = []
        self.states: dict[str, dict[str, Any]] = {}
        self._changed = asyncio.Event()
        self._listeners: list[Callable[[Seen], None]] = []
        super().__init__(client, ws)

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls, client: HassClient, *, subscribe: bool = True
    ) -> AsyncIterator[Self]:
        """Open, authenticate and (by default) subscribe to the interesting events."""
        async with super().connect(client) as watcher:
            if subscribe:
                await watcher.subscribe()
            yield watcher

    async def subscribe(self) -> None:
        """Follow ``homecoming_event`` and ``state_changed``; load the current states."""
        for event_type in ("homecoming_event", "state_changed"):
            await self.command("subscribe_events", event_type=event_type)
        self.states = await self.client.states()

    def add_listener(self, listener: Callable[[Seen], None]) -> None:
        """Call ``listener`` with every event as it arrives."""
        self._listeners.append(listener)

    def on_event(self, event: dict[str, Any]) -> None:
        """Keep the event (and the state it changes); tell the listeners and waiters."""
        seen = Seen(time.monotonic(), event["event_type"], event["data"])
        if seen.event_type == "state_changed":
            new = seen.data.get("new_state")
            entity_id = seen.data["entity_id"]
            if new is None:
                self.states.pop(entity_id, None)
            else:
                self.states[entity_id] = new
        self.events.append(seen)
        for listener in self._listeners:
            listener(seen)
        self._changed.set()

    def state(self, entity_id: str) -> str | None:
        """Return an entity's current state string."""
        state = self.states.get(entity_id)
        return None if state is None else str(state["state"])

    def attribute(self, entity_id: str, name: str) -> Any:
        """Return an attribute of an entity's current state."""
        state = self.states.get(entity_id)
        return None if state is None else state["attributes"].get(name)

    def homecoming_events(self, entry_id: str | None = None) -> list[Seen]:
        """Return the ``homecoming_event`` events seen, optionally of one car."""
        return [
            e
            for e in self.events
            if e.event_type == "homecoming_event"
            and (entry_id is None or e.data.get("entry_id") == entry_id)
        ]

    def state_history(self, entity_id: str) -> list[str]:
        """Return the successive states of an entity (attribute changes skipped)."""
        history: list[str] = []
        for e in self.events:
            if e.event_type == "state_changed" and e.data["entity_id"] == entity_id:
                new = e.data.get("new_state")
                value = "<removed>" if new is None else str(new["state"])
                if not history or history[-1] != value:
                    history.append(value)
        return history

    async def wait_for(
        self, predicate: Callable[[], bool], within: float, what: str = "condition"
    ) -> None:
        """Wait until ``predicate()`` holds, re-checking on every event."""
        deadline = time.monotonic() + within
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                msg = f"timed out after {within:.0f} s waiting for {what}"
                raise HarnessError(msg)
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 1.0))
