"""Config and options flows of a push car: its webhook URL, secret and rotation.

Also the repair issue of a car whose cloudhook has no secret (issue 10, item 4).
"""

from __future__ import annotations

from collections.abc import Generator
import re
import sys
from types import ModuleType
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntryDisabler,
    ConfigEntryState,
)
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homecoming.const import (
    CONF_CLOUDHOOK,
    CONF_HOME_ZONE,
    CONF_OWNTRACKS_KEY,
    CONF_SECRET,
    DOMAIN,
)
from custom_components.homecoming.sources.webhook import no_secret_issue_id

CLOUD_URL = "https://hooks.nabu.casa/ABCDEF"


@pytest.fixture
def cloud() -> Generator[AsyncMock]:
    """Stand in for Home Assistant Cloud, subscribed and connected.

    The real cloud component needs libraries this test environment does not have, and
    the service itself is remote; only its four webhook functions matter here.
    """
    create = AsyncMock(return_value=CLOUD_URL)
    fake = ModuleType("homeassistant.components.cloud")
    fake.async_active_subscription = lambda hass: True  # type: ignore[attr-defined]
    fake.async_is_connected = lambda hass: True  # type: ignore[attr-defined]
    fake.async_get_or_create_cloudhook = create  # type: ignore[attr-defined]
    fake.async_delete_cloudhook = AsyncMock()  # type: ignore[attr-defined]
    create.delete = fake.async_delete_cloudhook  # type: ignore[attr-defined]
    with patch.dict(sys.modules, {"homeassistant.components.cloud": fake}):
        yield create


async def add_push_car(
    hass: HomeAssistant, **fields: str
) -> tuple[MockConfigEntry, dict[str, str]]:
    """Add a push car through the flow; return its entry and the URL shown."""
    assert await async_setup_component(hass, "webhook", {})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "push"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Van", **fields}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOME_ZONE: "zone.home"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == (
        "webhook" if fields.get(CONF_SECRET, "").strip() else "webhook_without_secret"
    )
    entry = hass.config_entries.async_get_entry(result["result"].entry_id)
    assert entry is not None
    await hass.async_block_till_done()
    return entry, result["description_placeholders"]


@pytest.mark.usefixtures("home_zone")
async def test_push_car_gets_a_webhook_and_shows_its_url(hass: HomeAssistant) -> None:
    """A new push car has a 64-hex webhook id, its full URL is shown, secret saved."""
    hass.config.internal_url = "http://127.0.0.1:8123"
    entry, placeholders = await add_push_car(hass, **{CONF_SECRET: "  s3cret "})
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert len(webhook_id) == 64
    int(webhook_id, 16)
    assert (
        placeholders["webhook_url"] == f"http://127.0.0.1:8123/api/webhook/{webhook_id}"
    )
    assert entry.data[CONF_SECRET] == "s3cret"
    assert entry.data[CONF_CLOUDHOOK] is False


@pytest.mark.usefixtures("home_zone")
async def test_push_car_with_cloud_gets_a_cloudhook(
    hass: HomeAssistant, cloud: AsyncMock
) -> None:
    """With Home Assistant Cloud connected, the URL is a cloudhook; removal deletes it."""
    hass.config.components.add("cloud")
    entry, placeholders = await add_push_car(hass)
    assert placeholders["webhook_url"] == CLOUD_URL
    assert entry.data[CONF_CLOUDHOOK] is True
    cloud.assert_awaited_with(hass, entry.data[CONF_WEBHOOK_ID])
    await hass.config_entries.async_remove(entry.entry_id)
    cloud.delete.assert_awaited_once_with(hass, entry.data[CONF_WEBHOOK_ID])


@pytest.mark.usefixtures("home_zone")
async def test_name_is_required(hass: HomeAssistant) -> None:
    """A blank name is a form error; a real one goes on."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "push"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "   "}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NAME: "name_required"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Van"}
    )
    assert result["step_id"] == "zone"


@pytest.mark.usefixtures("home_zone")
async def test_a_car_cannot_follow_another_homecoming_car(hass: HomeAssistant) -> None:
    """Homecoming's own trackers are refused as a source."""
    await add_push_car(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "entity"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"tracked_entity": "device_tracker.van"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"tracked_entity": "own_entity"}


@pytest.mark.usefixtures("home_zone")
async def test_options_show_the_url_and_change_the_secret(hass: HomeAssistant) -> None:
    """The webhook options step shows the URL; saving a secret keeps the URL."""
    hass.config.internal_url = "http://127.0.0.1:8123"
    entry, placeholders = await add_push_car(hass)
    old_id = entry.data[CONF_WEBHOOK_ID]
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["detection", "routines", "webhook"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "webhook"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"] == placeholders
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SECRET: "new secret"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "webhook_updated"
    assert result["description_placeholders"] == placeholders
    await hass.async_block_till_done()
    assert entry.data[CONF_SECRET] == "new secret"
    assert entry.data[CONF_WEBHOOK_ID] == old_id
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("home_zone")
async def test_options_rotate_the_url(hass: HomeAssistant, cloud: AsyncMock) -> None:
    """Rotating gives a new id (and cloudhook), deletes the old one and reloads."""
    hass.config.components.add("cloud")
    entry, _ = await add_push_car(hass, **{CONF_SECRET: "keep"})
    old_id = entry.data[CONF_WEBHOOK_ID]
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "webhook"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SECRET: "", "rotate": True}
    )
    assert result["reason"] == "webhook_updated"
    await hass.async_block_till_done()
    assert entry.data[CONF_WEBHOOK_ID] != old_id
    assert entry.data[CONF_SECRET] == ""
    assert entry.data[CONF_CLOUDHOOK] is True
    cloud.delete.assert_awaited_once_with(hass, old_id)


@pytest.mark.usefixtures("home_zone")
async def test_entity_car_has_no_webhook_options(
    hass: HomeAssistant, entity_entry: MockConfigEntry
) -> None:
    """A car that follows an entity has no webhook options, only the others."""
    hass.states.async_set(
        "device_tracker.family_car", "home", {"latitude": 52.37, "longitude": 4.89}
    )
    entity_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entity_entry.entry_id)
    result = await hass.config_entries.options.async_init(entity_entry.entry_id)
    assert result["menu_options"] == ["detection", "routines"]


@pytest.mark.usefixtures("home_zone")
async def test_rotate_without_cloud(hass: HomeAssistant) -> None:
    """Without Home Assistant Cloud, rotating gives a new local URL."""
    hass.config.internal_url = "http://127.0.0.1:8123"
    entry, _ = await add_push_car(hass)
    old_id = entry.data[CONF_WEBHOOK_ID]
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "webhook"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"rotate": True}
    )
    await hass.async_block_till_done()
    new_id = entry.data[CONF_WEBHOOK_ID]
    assert new_id != old_id
    assert result["description_placeholders"] == {
        "webhook_url": f"http://127.0.0.1:8123/api/webhook/{new_id}"
    }
    assert entry.data[CONF_CLOUDHOOK] is False


@pytest.mark.usefixtures("home_zone")
async def test_cloud_without_subscription_uses_the_local_url(
    hass: HomeAssistant, cloud: AsyncMock
) -> None:
    """Cloud loaded but not subscribed: the local URL; nothing to delete on removal."""
    hass.config.internal_url = "http://127.0.0.1:8123"
    hass.config.components.add("cloud")
    with patch.object(
        sys.modules["homeassistant.components.cloud"],
        "async_active_subscription",
        lambda hass: False,
    ):
        entry, placeholders = await add_push_car(hass)
    assert placeholders["webhook_url"].startswith("http://127.0.0.1:8123/api/webhook/")
    assert entry.data[CONF_CLOUDHOOK] is False
    await hass.config_entries.async_remove(entry.entry_id)
    cloud.delete.assert_not_awaited()


@pytest.mark.usefixtures("home_zone")
async def test_cloudhook_car_removed_after_cloud_is_gone(
    hass: HomeAssistant, cloud: AsyncMock
) -> None:
    """A cloudhook car removed when Cloud is no longer loaded removes cleanly."""
    hass.config.components.add("cloud")
    entry, _ = await add_push_car(hass)
    hass.config.components.remove("cloud")
    await hass.config_entries.async_remove(entry.entry_id)
    cloud.delete.assert_not_awaited()


@pytest.mark.usefixtures("home_zone")
async def test_options_set_and_clear_the_owntracks_key(hass: HomeAssistant) -> None:
    """The webhook step shows the OwnTracks key, saves it trimmed, and clears it."""
    entry, _ = await add_push_car(hass, **{CONF_SECRET: "s"})
    old_id = entry.data[CONF_WEBHOOK_ID]
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "webhook"}
    )
    fields = {str(key): key for key in result["data_schema"].schema}
    assert set(fields) == {CONF_SECRET, CONF_OWNTRACKS_KEY, "rotate"}
    assert fields[CONF_OWNTRACKS_KEY].description == {"suggested_value": ""}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SECRET: "s", CONF_OWNTRACKS_KEY: "  k3y  "}
    )
    assert result["reason"] == "webhook_updated"
    await hass.async_block_till_done()
    assert entry.data[CONF_OWNTRACKS_KEY] == "k3y"
    assert entry.data[CONF_SECRET] == "s"
    assert entry.data[CONF_WEBHOOK_ID] == old_id

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "webhook"}
    )
    fields = {str(key): key for key in result["data_schema"].schema}
    assert fields[CONF_OWNTRACKS_KEY].description == {"suggested_value": "k3y"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SECRET: "s"}
    )
    await hass.async_block_till_done()
    assert entry.data[CONF_OWNTRACKS_KEY] == ""
    assert entry.state is ConfigEntryState.LOADED


# ------------------------------------------------------------------ the secret


async def push_form(hass: HomeAssistant) -> dict[str, Any]:
    """Open the push step of a new car; return the form."""
    assert await async_setup_component(hass, "webhook", {})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "push"}
    )
    assert result["step_id"] == "push"
    return dict(result)


def suggested(form: dict[str, Any], field: str) -> Any:
    """Return the value a form suggests for a field (None when it suggests none)."""
    for key in form["data_schema"].schema:
        if str(key) == field:
            return (key.description or {}).get("suggested_value")
    raise KeyError(field)


@pytest.mark.usefixtures("home_zone")
async def test_the_push_step_suggests_a_new_random_secret(hass: HomeAssistant) -> None:
    """A push car is offered a generated secret, a different one each time."""
    first = suggested(await push_form(hass), CONF_SECRET)
    second = suggested(await push_form(hass), CONF_SECRET)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", first)
    assert first != second
    # Kept as suggested (the frontend sends the pre-filled value): saved.
    form = await push_form(hass)
    secret = suggested(form, CONF_SECRET)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_NAME: "Van", CONF_SECRET: secret}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOME_ZONE: "zone.home"}
    )
    assert result["description"] == "webhook"
    assert result["result"].data[CONF_SECRET] == secret


@pytest.mark.usefixtures("home_zone")
async def test_a_cleared_secret_stays_cleared_and_warns(hass: HomeAssistant) -> None:
    """Clearing the suggestion is respected (also across a form error) and warned of."""
    form = await push_form(hass)
    result = await hass.config_entries.flow.async_configure(
        form["flow_id"], {CONF_NAME: " "}
    )
    assert result["errors"] == {CONF_NAME: "name_required"}
    assert suggested(dict(result), CONF_SECRET) is None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Van"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOME_ZONE: "zone.home"}
    )
    assert result["description"] == "webhook_without_secret"
    assert result["result"].data[CONF_SECRET] == ""


def secret_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the car's repair issue about its cloudhook without a secret."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, no_secret_issue_id(entry.entry_id)
    )


async def set_secret(
    hass: HomeAssistant, entry: MockConfigEntry, secret: str, **more: Any
) -> None:
    """Save a car's webhook options (the car reloads)."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "webhook"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SECRET: secret, **more}
    )
    assert result["reason"] == "webhook_updated"
    await hass.async_block_till_done()


@pytest.mark.usefixtures("home_zone")
async def test_a_cloudhook_without_a_secret_gets_a_repair_issue(
    hass: HomeAssistant, cloud: AsyncMock
) -> None:
    """Warning, ignorable, translated; it follows the secret and the cloudhook."""
    hass.config.components.add("cloud")
    entry, _ = await add_push_car(hass)
    issue = secret_issue(hass, entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.is_persistent is False
    assert issue.is_fixable is False
    assert issue.translation_key == "cloudhook_without_secret"
    assert issue.translation_placeholders == {"name": "Van"}
    assert issue.learn_more_url is not None
    assert issue.learn_more_url.endswith("#pushing-positions-webhook")

    # Ignored, it stays ignored when the car reloads.
    ir.async_ignore_issue(hass, DOMAIN, issue.issue_id, True)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    issue = secret_issue(hass, entry)
    assert issue is not None
    assert issue.dismissed_version is not None

    # A secret set: gone. Cleared again: back.
    await set_secret(hass, entry, "s3cret")
    assert secret_issue(hass, entry) is None
    await set_secret(hass, entry, "")
    assert secret_issue(hass, entry) is not None

    # The cloudhook gone (a new, local URL once Cloud is no longer there): gone.
    hass.config.components.remove("cloud")
    await set_secret(hass, entry, "", rotate=True)
    assert entry.data[CONF_CLOUDHOOK] is False
    assert secret_issue(hass, entry) is None


@pytest.mark.usefixtures("home_zone")
@pytest.mark.parametrize("how", ["remove", "disable"])
async def test_the_secret_issue_goes_with_the_car(
    hass: HomeAssistant, cloud: AsyncMock, how: str
) -> None:
    """A removed or disabled car leaves no issue about its URL."""
    hass.config.components.add("cloud")
    entry, _ = await add_push_car(hass)
    assert secret_issue(hass, entry) is not None
    if how == "remove":
        await hass.config_entries.async_remove(entry.entry_id)
    else:
        await hass.config_entries.async_set_disabled_by(
            entry.entry_id, ConfigEntryDisabler.USER
        )
    await hass.async_block_till_done()
    assert secret_issue(hass, entry) is None


@pytest.mark.usefixtures("home_zone")
async def test_no_secret_issue_for_a_local_url_or_with_a_secret(
    hass: HomeAssistant, cloud: AsyncMock
) -> None:
    """A local URL, or a cloudhook with a secret: no issue."""
    local, _ = await add_push_car(hass)
    assert local.data[CONF_CLOUDHOOK] is False
    assert secret_issue(hass, local) is None
    hass.config.components.add("cloud")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "push"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Bus", CONF_SECRET: "s3cret"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOME_ZONE: "zone.home"}
    )
    await hass.async_block_till_done()
    secured = result["result"]
    assert secured.data[CONF_CLOUDHOOK] is True
    assert secret_issue(hass, secured) is None
