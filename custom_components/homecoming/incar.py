"""In-car signals: whether the phone a car follows is in the car (docs/sources.md).

A phone is not a car: its owner takes the train home, walks, or rides with someone else.
The phone itself knows when it is in the car, and a car that follows a phone (or a
person) may name signals that say so, in its options (**In the car**):

* the Companion app's Bluetooth connection sensor (``sensor.<phone>_bluetooth_connection``)
  with the car's Bluetooth name(s) or address(es): in the car while one of them is among
  the sensor's ``connected_paired_devices``;
* any number of binary sensors or ``input_boolean`` helpers: the Companion app's Android
  Auto sensor (``binary_sensor.<phone>_android_auto``), a CarPlay helper set by an iOS
  Shortcuts automation, an OBD dongle. In the car while one of them is ``on``.

The raw signal flaps (a hands-free link drops for seconds at a red light), so it is
debounced here: *in the car* turns on at once and off only after the signal has been off
for :data:`IN_CAR_OFF_DELAY`. The source (:mod:`.sources.entity`) decides what that means
for the phone's positions; this module only reads the signals.

The Companion app for Android sends the Bluetooth sensor's state as the number of
connected devices (unit ``connection(s)``) and its attributes as lists of strings,
``"AA:BB:CC:DD:EE:FF (Name)"``, or the bare address when the device has no name
(``BluetoothSensorManager.checkNameAddress`` in the app); ``mobile_app`` stores them as
they come and restores them at a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from homeassistant.const import STATE_ON
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
    valid_entity_id,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_call_later, async_track_state_change_event
from homeassistant.helpers.selector import SelectOptionDict, SelectSelectorConfig
from homeassistant.util import dt as dt_util
import probatio

from .const import (
    CONF_IN_CAR_BLUETOOTH_DEVICES,
    CONF_IN_CAR_BLUETOOTH_SENSOR,
    CONF_IN_CAR_SIGNALS,
    LOGGER,
)
from .selectors import drop_down, entities

IN_CAR_OFF_DELAY: Final = timedelta(minutes=2)
"""How long every signal must be off before the phone counts as out of the car.

A car's hands-free link drops for a few seconds to a minute while driving: start-stop
cutting the head unit at a red light, the phone switching audio profiles for a call or
navigation prompt, Android Auto restarting its projection. Two minutes covers those,
while a driver who parks and walks away is known to be gone two minutes later. Turning on
has no delay: a phone connects to a car's head unit only in the car with the ignition on,
and every second of a drive home counts for the approach."""

BLUETOOTH_CONNECTED: Final = "connected_paired_devices"
"""The Bluetooth sensor's attribute listing the paired devices connected now."""
BLUETOOTH_ATTRIBUTES: Final = (
    BLUETOOTH_CONNECTED,
    "connected_not_paired_devices",
    "paired_devices",
)
"""The Bluetooth sensor's attributes listing devices (the names offered in the form)."""


@dataclass(frozen=True, slots=True)
class BluetoothDevice:
    """A device as the Companion app lists it: its address and name (if it has one)."""

    address: str
    name: str | None

    @property
    def label(self) -> str:
        """The device as the form shows it: its name and address."""
        return self.address if self.name is None else f"{self.name} ({self.address})"

    def matches(self, wanted: str) -> bool:
        """Whether a configured name or address means this device (ignoring case)."""
        key = wanted.strip().casefold()
        return bool(key) and key in (
            self.address.casefold(),
            (self.name or "").casefold(),
        )


def parse_device(text: str) -> BluetoothDevice | None:
    """Read one entry of a Bluetooth sensor's list: ``"ADDRESS (Name)"`` or ``"ADDRESS"``.

    A name may itself hold parentheses (``"AA:.. (Car (VW))"``): it runs from the first
    ``" ("`` to the last ``")"``. Blank text gives None.
    """
    text = text.strip()
    if not text:
        return None
    address, separator, rest = text.partition(" (")
    if separator and rest.endswith(")") and rest[:-1].strip():
        return BluetoothDevice(address.strip(), rest[:-1].strip())
    return BluetoothDevice(text, None)


def parse_devices(value: object) -> list[BluetoothDevice]:
    """Read a Bluetooth sensor's device list attribute; anything else gives none.

    The app sends a list of strings. Older versions showed the list as one string
    (``"[AA:.. (Car), BB:..]"``), which is split at ``", "``. Entries that are not text
    are skipped.
    """
    if isinstance(value, str):
        inner = value.strip()
        if inner.startswith("[") and inner.endswith("]"):
            inner = inner[1:-1]
        value = inner.split(", ")
    if not isinstance(value, (list, tuple)):
        return []
    return [
        device
        for item in value
        if isinstance(item, str) and (device := parse_device(item)) is not None
    ]


def seen_devices(state: State | None) -> list[BluetoothDevice]:
    """Return every device a Bluetooth sensor lists (connected or paired), once each."""
    if state is None:
        return []
    seen: dict[str, BluetoothDevice] = {}
    for attribute in BLUETOOTH_ATTRIBUTES:
        for device in parse_devices(state.attributes.get(attribute)):
            seen.setdefault(device.address.casefold(), device)
    return list(seen.values())


def is_bluetooth_sensor(state: State | None) -> bool:
    """Whether a state looks like the Companion app's Bluetooth connection sensor."""
    return state is not None and any(
        attribute in state.attributes for attribute in BLUETOOTH_ATTRIBUTES
    )


@dataclass(frozen=True, slots=True)
class InCarSignals:
    """The signals a car's options name (:func:`in_car_signals`)."""

    bluetooth_sensor: str | None
    bluetooth_devices: tuple[str, ...]
    binary_sensors: tuple[str, ...]

    @property
    def entities(self) -> list[str]:
        """Every entity the signals read."""
        sensor = [] if self.bluetooth_sensor is None else [self.bluetooth_sensor]
        return [*sensor, *self.binary_sensors]

    def on(self, states: Callable[[str], State | None]) -> bool:
        """Whether any signal says "in the car" now (not debounced).

        A binary signal is on when its state is ``on``; the Bluetooth sensor when one of
        the car's devices is among its connected paired devices. Unknown, unavailable
        and missing entities say nothing (off).
        """
        return self.binary_on(states) or self.bluetooth_on(states)

    def binary_on(self, states: Callable[[str], State | None]) -> bool:
        """Whether one of the binary signals is ``on`` now."""
        return any(
            (state := states(entity_id)) is not None and state.state == STATE_ON
            for entity_id in self.binary_sensors
        )

    def bluetooth_on(self, states: Callable[[str], State | None]) -> bool:
        """Whether one of the car's devices is connected to the Bluetooth sensor now."""
        if self.bluetooth_sensor is None:
            return False
        sensor = states(self.bluetooth_sensor)
        if sensor is None:
            return False
        return any(
            device.matches(wanted)
            for device in parse_devices(sensor.attributes.get(BLUETOOTH_CONNECTED))
            for wanted in self.bluetooth_devices
        )


def _entity_ids(value: object) -> tuple[str, ...]:
    """Return the entity ids of a saved list option (junk written by hand is skipped)."""
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(
        item for item in value if isinstance(item, str) and valid_entity_id(item)
    )


MAX_DEVICE_TEXT: Final = 100
"""The longest Bluetooth name or address a car's device may be given as (Bluetooth
names are at most 248 bytes; real car head units use well under 40 characters)."""


def _texts(value: object) -> tuple[str, ...]:
    """Return the non-blank texts of a saved list option, each once (any case)."""
    if not isinstance(value, (list, tuple)):
        return ()
    seen: dict[str, str] = {}
    for item in value:
        if isinstance(item, str) and (text := item.strip()):
            seen.setdefault(text.casefold(), text)
    return tuple(seen.values())


def _usable_device(text: str) -> bool:
    """Whether a device name or address could be a Bluetooth device's."""
    return len(text) <= MAX_DEVICE_TEXT and text.isprintable()


def in_car_signals(options: Mapping[str, Any]) -> InCarSignals | None:
    """Return the in-car signals a car's options name; None when there are none.

    The Bluetooth sensor counts only with at least one device of the car named. Only
    the options form writes these keys; values it cannot have written are ignored.
    """
    sensor = options.get(CONF_IN_CAR_BLUETOOTH_SENSOR)
    devices = _texts(options.get(CONF_IN_CAR_BLUETOOTH_DEVICES))
    if not (isinstance(sensor, str) and valid_entity_id(sensor) and devices):
        sensor, devices = None, ()
    signals = InCarSignals(
        sensor, devices, _entity_ids(options.get(CONF_IN_CAR_SIGNALS))
    )
    return signals if signals.entities else None


class InCarChange(StrEnum):
    """What changed about the phone being in the car."""

    ENTERED = "entered"
    """A signal came on while the phone was out of the car."""
    SIGNAL_LOST = "signal_lost"
    """Every signal went off: the phone may be leaving (:data:`IN_CAR_OFF_DELAY`)."""
    SIGNAL_BACK = "signal_back"
    """A signal came back before the delay was over: the phone never left."""
    LEFT = "left"
    """The signals stayed off for :data:`IN_CAR_OFF_DELAY`: the phone left the car."""


type InCarListener = Callable[[InCarChange, datetime], None]
"""Called with each change and the moment it happened."""


class InCarMonitor:
    """Follows a car's in-car signals and debounces them (:data:`IN_CAR_OFF_DELAY`).

    At the start the signals are taken as they are, with no change announced (a restart
    fires nothing): on is in the car, off (or not there yet) is out of it.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        signals: InCarSignals,
        title: str,
        listener: InCarListener,
    ) -> None:
        """Prepare to follow ``signals`` for the car named ``title``, telling ``listener``."""
        self.hass = hass
        self.signals = signals
        self._title = title
        self._listener = listener
        self.in_car = False
        """The debounced answer: the phone is in the car."""
        self.lost_at: datetime | None = None
        """Since when every signal is off while the phone still counts as in the car."""
        self._cancel_delay: CALLBACK_TYPE | None = None

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Read the signals now and follow them; returns the function that stops it."""
        self.in_car = self._raw()
        unsub = async_track_state_change_event(
            self.hass, self.signals.entities, self._async_signal_changed
        )

        @callback
        def _stop() -> None:
            unsub()
            self._cancel()

        return _stop

    def _raw(self) -> bool:
        return self.signals.on(self.hass.states.get)

    def _cancel(self) -> None:
        if self._cancel_delay is not None:
            self._cancel_delay()
            self._cancel_delay = None

    @callback
    def _async_signal_changed(self, _event: Event[EventStateChangedData]) -> None:
        now = dt_util.utcnow()
        raw = self._raw()
        if raw and not self.in_car:
            self.in_car = True
            self._announce(InCarChange.ENTERED, now)
        elif raw and self.lost_at is not None:
            self.lost_at = None
            self._cancel()
            self._announce(InCarChange.SIGNAL_BACK, now)
        elif not raw and self.in_car and self.lost_at is None:
            self.lost_at = now
            self._cancel_delay = async_call_later(
                self.hass, IN_CAR_OFF_DELAY, self._async_delay_over
            )
            self._announce(InCarChange.SIGNAL_LOST, now)

    @callback
    def _async_delay_over(self, now: datetime) -> None:
        """Announce that the phone left the car: the signals stayed off all along."""
        self._cancel_delay = None
        self.lost_at = None
        self.in_car = False
        self._announce(InCarChange.LEFT, now)

    def _announce(self, change: InCarChange, now: datetime) -> None:
        LOGGER.debug("%s: in-car signal %s", self._title, change)
        self._listener(change, now)


# ------------------------------------------------------------ the options form

PHONE_PLATFORMS: Final = frozenset(
    {
        "mobile_app",
        "owntracks",
        "gpslogger",
        "icloud",
        "google_maps",
        "traccar",
        "geofency",
        "locative",
    }
)
"""Integrations whose trackers are phone apps (by entity registry platform)."""

IN_CAR_KEYS: Final = (
    CONF_IN_CAR_BLUETOOTH_SENSOR,
    CONF_IN_CAR_BLUETOOTH_DEVICES,
    CONF_IN_CAR_SIGNALS,
)
"""The options the **In the car** form writes."""


def follows_phone(
    hass: HomeAssistant, entity_id: str, options: Mapping[str, Any]
) -> bool:
    """Whether a car that follows ``entity_id`` is offered in-car signals.

    A person, or a tracker of a phone app (:data:`PHONE_PLATFORMS`): a car
    integration's tracker is the car itself. A car that names signals keeps the form,
    so that they can be removed.
    """
    if entity_id.startswith("person.") or in_car_signals(options) is not None:
        return True
    registered = er.async_get(hass).async_get(entity_id)
    return registered is not None and registered.platform in PHONE_PLATFORMS


def offered_devices(hass: HomeAssistant, sensor: object) -> list[BluetoothDevice]:
    """Return the devices the form offers: those the chosen Bluetooth sensor has seen.

    Without a sensor chosen, those every Bluetooth connection sensor has seen.
    """
    if isinstance(sensor, str) and sensor:
        return seen_devices(hass.states.get(sensor))
    found: dict[str, BluetoothDevice] = {}
    for state in hass.states.async_all("sensor"):
        if is_bluetooth_sensor(state):
            for device in seen_devices(state):
                found.setdefault(device.address.casefold(), device)
    return list(found.values())


def in_car_schema(hass: HomeAssistant, values: Mapping[str, Any]) -> probatio.Schema:
    """Return the **In the car** form, offering the Bluetooth devices seen."""
    devices = offered_devices(hass, values.get(CONF_IN_CAR_BLUETOOTH_SENSOR))
    return probatio.Schema(
        {
            probatio.Optional(CONF_IN_CAR_BLUETOOTH_SENSOR): entities("sensor"),
            probatio.Optional(CONF_IN_CAR_BLUETOOTH_DEVICES): drop_down(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(value=device.address, label=device.label)
                        for device in devices
                    ],
                    multiple=True,
                    custom_value=True,
                )
            ),
            probatio.Optional(CONF_IN_CAR_SIGNALS): entities(
                ["binary_sensor", "input_boolean"], multiple=True
            ),
        }
    )


def in_car_suggestions(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return what the form shows first: the signals the car names."""
    signals = in_car_signals(options)
    if signals is None:
        return {}
    suggested: dict[str, Any] = {CONF_IN_CAR_SIGNALS: list(signals.binary_sensors)}
    if signals.bluetooth_sensor is not None:
        suggested[CONF_IN_CAR_BLUETOOTH_SENSOR] = signals.bluetooth_sensor
        suggested[CONF_IN_CAR_BLUETOOTH_DEVICES] = list(signals.bluetooth_devices)
    return suggested


def in_car_errors(hass: HomeAssistant, user_input: Mapping[str, Any]) -> dict[str, str]:
    """Return what is wrong with a filled-in **In the car** form, by field.

    The Bluetooth sensor must exist and list devices (the Companion app's Bluetooth
    connection sensor does), and goes with at least one device of the car; each other
    signal must exist.
    """
    sensor = user_input.get(CONF_IN_CAR_BLUETOOTH_SENSOR)
    devices = _texts(user_input.get(CONF_IN_CAR_BLUETOOTH_DEVICES))
    errors: dict[str, str] = {}
    if sensor and not is_bluetooth_sensor(hass.states.get(sensor)):
        errors[CONF_IN_CAR_BLUETOOTH_SENSOR] = "bluetooth_sensor"
    elif sensor and not devices:
        errors[CONF_IN_CAR_BLUETOOTH_DEVICES] = "bluetooth_devices_required"
    elif devices and not sensor:
        errors[CONF_IN_CAR_BLUETOOTH_SENSOR] = "bluetooth_sensor_required"
    elif not all(_usable_device(device) for device in devices):
        errors[CONF_IN_CAR_BLUETOOTH_DEVICES] = "bluetooth_device_invalid"
    if any(
        hass.states.get(entity_id) is None
        for entity_id in user_input.get(CONF_IN_CAR_SIGNALS, [])
    ):
        errors[CONF_IN_CAR_SIGNALS] = "signal_not_found"
    return errors


def in_car_form_options(
    options: Mapping[str, Any], user_input: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the entry options after the **In the car** form was saved.

    What is cleared is removed: with nothing left, the car has no in-car signals.
    """
    new = {key: value for key, value in options.items() if key not in IN_CAR_KEYS}
    if sensor := user_input.get(CONF_IN_CAR_BLUETOOTH_SENSOR):
        new[CONF_IN_CAR_BLUETOOTH_SENSOR] = sensor
        new[CONF_IN_CAR_BLUETOOTH_DEVICES] = list(
            _texts(user_input[CONF_IN_CAR_BLUETOOTH_DEVICES])
        )
    if signals := user_input.get(CONF_IN_CAR_SIGNALS):
        new[CONF_IN_CAR_SIGNALS] = list(dict.fromkeys(signals))
    return new
