"""Tests of the diagnostics: what a car knows, with its whereabouts and secrets redacted."""

from __future__ import annotations

from datetime import timedelta
import json
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.homecoming.const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_TIMESTAMP,
    CONF_REACH_KM,
    DOMAIN,
    SERVICE_UPDATE_LOCATION,
)
from custom_components.homecoming.engine import Fix
from devtools import sim

from .conftest import HOME_LAT, HOME_LON

VOLATILE = props("at")
"""Fields left out of the snapshots: when a routine decided (the wall clock)."""

APPROACH = sim.straight_approach(distance_m=6_000.0)
"""A drive home; the car is reported until it is half-way."""


def _report(fix: Fix) -> dict[str, Any]:
    """Return the action data reporting a fix."""
    data: dict[str, Any] = {
        ATTR_LATITUDE: fix.latitude,
        ATTR_LONGITUDE: fix.longitude,
        ATTR_TIMESTAMP: fix.timestamp.isoformat(),
    }
    if fix.accuracy is not None:
        data["accuracy"] = fix.accuracy
    if fix.speed is not None:
        data["speed"] = fix.speed
    return data


async def _update_location(
    hass: HomeAssistant, entry: MockConfigEntry, data: dict[str, Any]
) -> None:
    """Call the public action for a car."""
    await hass.services.async_call(
        DOMAIN,
        SERVICE_UPDATE_LOCATION,
        {ATTR_CONFIG_ENTRY_ID: entry.entry_id, **data},
        blocking=True,
    )


@pytest.fixture
def halfway() -> list[Fix]:
    """Return the fixes of the drive's first half."""
    fixes = APPROACH.fixes
    return fixes[: len(fixes) // 2]


@pytest.fixture
async def driving(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push_entry: MockConfigEntry,
    home_zone: None,
    halfway: list[Fix],
) -> MockConfigEntry:
    """Set up the push car (reach 20 km) and drive it half-way home.

    Tests request this before ``hass_client``, so that the client's access token is
    issued at the drive's (frozen) time and is valid while it is used.

    One fix is sent twice (a duplicate) and one coarse fix is sent (inaccurate), so
    that the counters show rejections next to the accepted fixes.
    """
    push_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(push_entry, options={CONF_REACH_KM: 20})
    freezer.move_to(halfway[0].timestamp)
    assert await hass.config_entries.async_setup(push_entry.entry_id)
    await hass.async_block_till_done()
    for fix in halfway:
        freezer.move_to(fix.timestamp)
        await _update_location(hass, push_entry, _report(fix))
    last = halfway[-1]
    await _update_location(hass, push_entry, _report(last))
    coarse = last.timestamp + timedelta(seconds=1)
    freezer.move_to(coarse)
    await _update_location(
        hass,
        push_entry,
        {**_report(last), "accuracy": 900.0, ATTR_TIMESTAMP: coarse.isoformat()},
    )
    await hass.async_block_till_done()
    return push_entry


def _assert_no_position(data: Any, fixes: list[Fix]) -> None:
    """Assert that neither home's nor the car's coordinates appear anywhere."""
    text = json.dumps(data)
    digits = {f"{HOME_LAT}", f"{HOME_LON}"}
    for fix in fixes:
        digits.add(f"{fix.latitude:.4f}"[:-1])
        digits.add(f"{fix.longitude:.4f}"[:-1])
    for number in digits:
        # Not as part of another number (a distance such as 1452.37 is fine).
        assert not re.search(rf"(?<![\d.]){re.escape(number)}", text), number


async def test_entry_diagnostics(
    hass: HomeAssistant,
    driving: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    halfway: list[Fix],
    snapshot: SnapshotAssertion,
) -> None:
    """Describe the car half-way home, without where it is."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, driving)

    assert result == snapshot(exclude=VOLATILE)
    assert result["car"]["phase"] == "approaching"
    assert ATTR_LATITUDE not in result["car"]
    assert ATTR_LONGITUDE not in result["car"]
    assert result["stats"] == {
        "accepted": len(halfway),
        "duplicate": 1,
        "inaccurate": 1,
    }
    assert result["detector"]["window_fixes"] > 1
    assert "WVWZZZ1JZXW000001" not in json.dumps(result)
    _assert_no_position(result, halfway)


async def test_device_diagnostics(
    hass: HomeAssistant,
    driving: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    device_registry: dr.DeviceRegistry,
    halfway: list[Fix],
    snapshot: SnapshotAssertion,
) -> None:
    """Describe the car's device and the car, without where it is or its VIN."""
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, "WVWZZZ1JZXW000001"), driving.entry_id
    )
    assert device is not None

    result = await get_diagnostics_for_device(hass, hass_client, driving, device)

    assert result == snapshot(exclude=VOLATILE)
    assert "serial_number" not in result["device"]
    assert result["device"]["manufacturer"] == "Volkswagen"
    assert "WVWZZZ1JZXW000001" not in json.dumps(result)
    _assert_no_position(result, halfway)


async def test_diagnostics_before_any_position(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entity_entry: MockConfigEntry,
    home_zone: None,
    snapshot: SnapshotAssertion,
) -> None:
    """Describe a car that follows a missing entity and has no position yet."""
    entity_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entity_entry.entry_id)
    await hass.async_block_till_done()

    result = await get_diagnostics_for_config_entry(hass, hass_client, entity_entry)

    assert result == snapshot(exclude=VOLATILE)
    assert result["source"]["available"] is False
    assert result["source"]["silent"] is True
    assert result["source"]["tracked_domain"] == "device_tracker"
    assert result["car"]["last_fix"] is None
    assert result["car"]["eta"] is None


async def test_secrets_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    push_entry: MockConfigEntry,
    home_zone: None,
) -> None:
    """The webhook id and any secret, key or URL kept with the car never appear."""
    secrets = {
        "webhook_id": "0123456789abcdef0123456789abcdef",
        "secret": "s3cr3t-shared-key",
        "owntracks_key": "owntracks-s3cr3t",
        "cloudhook_url": "https://hooks.nabu.casa/secret-path",
        "url": "https://example.invalid/api/webhook/secret-path",
        "future_field": "added-later-and-private",
    }
    push_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        push_entry,
        data={**push_entry.data, **secrets},
        options={"notify": {"url": secrets["url"]}, "future": secrets["future_field"]},
    )
    assert await hass.config_entries.async_setup(push_entry.entry_id)
    await hass.async_block_till_done()

    result = await get_diagnostics_for_config_entry(hass, hass_client, push_entry)

    assert result["entry"]["has_secret"] is True
    text = json.dumps(result)
    for value in secrets.values():
        assert value not in text


async def test_people_and_targets_never_appear(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    push_entry: MockConfigEntry,
    home_zone: None,
) -> None:
    """Drivers' names, ids, persons and scenes, and routine targets are left out."""
    push_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        push_entry,
        options={
            "arrival_lights": {"targets": ["light.secret_porch"]},
            "climate": {"targets": ["climate.secret_living_room"]},
        },
    )
    assert await hass.config_entries.async_setup(push_entry.entry_id)
    await hass.async_block_till_done()
    await _update_location(
        hass,
        push_entry,
        {**_report(APPROACH.fixes[0]), "driver": "anna-private-id"},
    )

    result = await get_diagnostics_for_config_entry(hass, hass_client, push_entry)

    text = json.dumps(result)
    for private in (
        "anna-private-id",
        "light.secret_porch",
        "climate.secret_living_room",
        push_entry.title,
    ):
        assert private not in text
    assert result["car"]["driver_known"] is True


async def test_outlier_counter_and_routine_decisions_are_shown(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    push_entry: MockConfigEntry,
    home_zone: None,
) -> None:
    """The counters the README tells users to read, and why a routine was skipped."""
    push_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        push_entry, options={"arrival_lights": {"targets": []}}
    )
    issued = dt_util.utcnow()  # the test client's token is issued now
    fixes = sim.straight_approach(distance_m=3_000.0).fixes
    freezer.move_to(fixes[0].timestamp)
    assert await hass.config_entries.async_setup(push_entry.entry_id)
    await hass.async_block_till_done()
    for fix in fixes:
        freezer.move_to(fix.timestamp)
        await _update_location(hass, push_entry, _report(fix))
    far = fixes[-1]
    await _update_location(
        hass,
        push_entry,
        {
            **_report(far),
            ATTR_LATITUDE: far.latitude + 2.0,
            ATTR_TIMESTAMP: (far.timestamp + timedelta(seconds=5)).isoformat(),
        },
    )
    await hass.async_block_till_done()
    freezer.move_to(issued)

    result = await get_diagnostics_for_config_entry(hass, hass_client, push_entry)

    assert result["stats"]["outlier"] == 1
    assert result["car"]["phase"] == "home"
    decision = result["routines"]["decisions"]["lights"]
    assert decision["outcome"] == "skipped"
    assert decision["reason"] == "no_targets"
    assert decision["trigger"] in {"approach_started", "arriving", "arrived"}
