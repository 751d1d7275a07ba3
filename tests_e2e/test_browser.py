"""The real frontend in Debian's chromium: a car, its routines, its device triggers.

A car is added through the UI and its device page opened; another car's garage-door
routine is set in its options form (Routines → Garage door) and the saved options are read
back over the API; the automation editor lists the car's device triggers by the labels of
``translations/en.json``; a car that follows a phone with recorded trips previews them
in its detection options, and shows the thermostat's heating rate learned from the
recorder on its device page. Playwright's Python package drives ``/usr/bin/chromium``
(``executable_path``; no browser is ever downloaded). Screenshots go to the test's Home
Assistant config folder; with ``HOMECOMING_SCREENSHOTS=1`` they replace the README's in
``docs/images/``. When chromium or Playwright is missing the test fails in CI
(``CI=true``, or ``HOMECOMING_E2E_BROWSER=1`` as ``.ci/run`` sets it) and is skipped,
with the reason, elsewhere; a form or picker that cannot be filled always fails it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
import contextlib
from datetime import UTC, datetime, timedelta
from functools import partial
import json
import os
from pathlib import Path
import shutil
from typing import Any, NoReturn

import pytest

from devtools import HarnessError, drives, forms, sim
from devtools.client import Car, HassClient
from devtools.home import (
    GARAGE_DOOR,
    HOME_LAT,
    HOME_LON,
    HOME_RADIUS_M,
    PASSWORD,
    REPO,
    USERNAME,
)
from tests_e2e.conftest import Server
from tests_e2e.test_learned_rate import (
    RATE,
    Recorded,
    ensure_heating_history,
    learned_state,
    rate_sensor,
    reload,
    write_states,
)

CHROMIUM = os.environ.get("HOMECOMING_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_IMAGES = REPO / "docs" / "images"
ENTITY_NAMES = (
    "Trip phase",
    "Distance to home",
    "Arrival time",
    "Direction of travel",
    "Approaching home",
)
TRANSLATIONS = REPO / "custom_components" / "homecoming" / "translations" / "en.json"
FAMILY_CAR = "Family car"
"""The car whose routines and triggers are set in the UI (added over REST)."""
COMMUTER = "Anna's car"
"""The car that follows :data:`PHONE`, with recorded trips and a learned heating rate."""
PHONE = "device_tracker.anna_phone"
WORK = sim.along(200.0, 12_000.0)
"""Where the phone spends its days (east, north metres from home)."""
RECORDED_TRIPS = 3
TIMEOUT_MS = 30_000
LOAD_TIMEOUT_MS = 120_000


def browser_required() -> bool:
    """Whether the browser test must run: in CI, or when asked to."""
    return os.environ.get("HOMECOMING_E2E_BROWSER") == "1" or os.environ.get(
        "CI", ""
    ).lower() in {"1", "true"}


def missing(what: str) -> NoReturn:
    """Fail (CI) or skip (elsewhere) because ``what`` is missing."""
    if browser_required():
        pytest.fail(
            f"{what}; the browser test must run in CI "
            "(CI=true or HOMECOMING_E2E_BROWSER=1)",
            pytrace=False,
        )
    pytest.skip(
        f"{what}; the browser test is skipped (it is required when CI=true or "
        "HOMECOMING_E2E_BROWSER=1)"
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium, headless, through Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        missing(f"Playwright cannot be imported ({err}; scripts/setup --hass)")
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        missing(f"{CHROMIUM} not found (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _rest[T](server: Server, body: Callable[[HassClient], Awaitable[T]]) -> T:
    """Run ``body`` against the REST API in another thread.

    Playwright's sync API owns this thread's event loop.
    """
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(server.run, body).result()


@pytest.fixture(scope="module")
def images(server: Server) -> Path:
    """Where the screenshots go: ``docs/images`` with HOMECOMING_SCREENSHOTS=1."""
    folder = (
        DOCS_IMAGES
        if os.environ.get("HOMECOMING_SCREENSHOTS") == "1"
        else server.process.config_dir / "screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def page(server: Server, browser: object) -> Iterator[object]:
    """Open a 1280×800 page, logged in on the real login page as the owner."""
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, device_scale_factor=1
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    # The first config flow of a fresh Home Assistant loads the integration and its
    # translations: on a busy 2-core machine that takes longer than expect's 5 s.
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        with _failure_screenshot(page, server, "login"):
            page.goto(f"{server.url}/")
            page.locator("input[name='username']").fill(USERNAME)
            page.locator("input[name='password']").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            # The first load of the frontend after a start can take a while on 2 cores.
            page.wait_for_url(
                lambda url: (
                    "/auth/" not in url
                    and "auth_callback" not in url
                    and url.rstrip("/") != server.url
                ),
                timeout=LOAD_TIMEOUT_MS,
            )
        yield page
    finally:
        context.close()


@contextlib.contextmanager
def _failure_screenshot(page: Any, server: Server, name: str) -> Iterator[None]:
    """On an exception, save what the page showed as ``<config>/<name>-failure.png``."""
    try:
        yield
    except Exception:
        with contextlib.suppress(Exception):
            page.screenshot(path=server.process.config_dir / f"{name}-failure.png")
        raise


@pytest.fixture(scope="module")
def family_car(server: Server) -> Car:
    """Add a push car over REST, for the options form and the automation editor."""
    return _rest(
        server,
        lambda client: client.add_push_car(FAMILY_CAR, make="Volvo", model="V60"),
    )


@pytest.fixture(scope="module")
def commuter(server: Server) -> Car:
    """Add a car that follows a phone with recorded trips and a learned heating rate.

    The phone's last two days (three trips home, a drive past home) and the thermostat's
    heat-ups are written into the recorder's database (:mod:`tests_e2e.test_learned_rate`);
    the car's climate routine uses the learned rate.
    """
    return _rest(server, partial(_commuter, server=server))


def test_add_a_car_in_the_ui(server: Server, page: object, images: Path) -> None:
    """Add Homecoming (push car) in Settings, and open the car's device page."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    with _failure_screenshot(page, server, "add-a-car"):
        # Settings → Devices & services → Add integration → Homecoming.
        page.goto(f"{server.url}/config/integrations/dashboard")
        add = page.get_by_role("button", name="Add integration")
        expect(add).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        add.click()
        expect(page.get_by_text("Select brand")).to_be_visible()
        page.wait_for_timeout(500)  # the search box takes the focus
        page.keyboard.type("Homecoming")
        page.get_by_text("Homecoming", exact=True).last.click()
        push = page.get_by_text("Pushes from the car, a tracker box or an app")
        expect(push).to_be_visible()
        push.click()

        # The push form: name, make, model; a new secret is already filled in.
        expect(page.get_by_text("Receive position pushes")).to_be_visible()
        page.locator("input[name='name']").fill("Browser car")
        page.locator("input[name='make']").fill("Volvo")
        page.locator("input[name='model']").fill("V60")
        secret = page.locator("input[name='secret']").input_value()
        assert len(secret) >= 32, "the form suggests a new secret"
        page.wait_for_timeout(300)
        page.screenshot(path=images / "add-integration.png")
        page.get_by_role("button", name="Submit").click()

        # The home zone (zone.home by default), then the car's webhook URL.
        expect(page.get_by_text("Home zone").first).to_be_visible()
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("/api/webhook/")).to_be_visible()
        page.wait_for_timeout(300)
        page.screenshot(path=images / "webhook-url.png")
        page.get_by_role("button", name="Finish").click()

        car = _rest(server, partial(_browser_car, secret=secret))
        page.goto(f"{server.url}/config/devices/device/{car.device_id}")
        expect(page.get_by_text("Browser car").first).to_be_visible()
        for name in ENTITY_NAMES:
            expect(page.get_by_text(name, exact=True).first).to_be_visible()
        page.wait_for_timeout(500)
        page.screenshot(path=images / "device-page.png")


def test_garage_door_in_the_routines_form(
    server: Server, page: object, images: Path, family_car: Car
) -> None:
    """Configure → Routines → Garage door: pick the demo home's door, open on arrival.

    The saved options, read back over the API, have the door as the routine's target.
    """
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    with _failure_screenshot(page, server, "garage-door"):
        page.goto(f"{server.url}/config/integrations/integration/homecoming")
        entry = page.locator("ha-config-entry-row").filter(has_text=family_car.title)
        configure = entry.get_by_role("button", name="Configure")
        expect(configure).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        configure.click()
        flow = page.locator("dialog-data-entry-flow")
        flow.get_by_text("Routines", exact=True).click()

        # The routines form: a section per routine; open "Garage door".
        flow.get_by_text("Garage door", exact=True).click()
        section = flow.locator("ha-expansion-panel").filter(
            has_text="Garage doors and gates"
        )
        expect(section.get_by_text("Open when")).to_be_visible()

        # The door picker offers the demo home's garage door (a cover of class garage).
        doors = section.locator("ha-entities-picker").filter(
            has_text="Garage doors and gates"
        )
        add_door = doors.locator("ha-generic-picker").last
        add_door.locator("ha-picker-field").click()
        add_door.locator("ha-picker-combo-box input").fill("Garage door")
        add_door.get_by_role("option", name="Garage door").click()
        expect(doors.locator("ha-entity-picker").first).to_contain_text("Garage door")

        # "Open when": arrived home (the default is arriving).
        section.locator("ha-picker-field[aria-label='Open when']").click()
        section.get_by_role("menuitem", name="Arrived home").click()
        expect(
            section.locator("ha-picker-field[aria-label='Open when']")
        ).to_contain_text("Arrived home")
        section.evaluate("panel => panel.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        page.screenshot(path=images / "garage-door-options.png")

        flow.get_by_role("button", name="Submit").click()
        expect(flow.get_by_text("Options successfully saved")).to_be_visible()
        flow.get_by_role("button", name="Finish").click()

    saved = _rest(
        server, lambda client: client.saved_options(family_car.entry_id, "routines")
    )
    garage = saved["garage_door"]
    assert garage["targets"] == [GARAGE_DOOR], saved
    assert garage["open_on"] == "arrived", saved
    assert saved["arrival_lights"]["targets"] == [], "the other routines stay off"


def test_device_triggers_in_the_automation_editor(
    server: Server, page: object, images: Path, family_car: Car
) -> None:
    """New automation → Add trigger → Device → the car: its triggers by their labels.

    The labels the editor shows for Homecoming's triggers are exactly those of
    ``translations/en.json`` (``device_automation.trigger_type``), and no trigger of the
    car shows a placeholder that was not filled in.
    """
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    translations = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))
    labels = translations["device_automation"]["trigger_type"]
    triggers = _rest(
        server, lambda client: client.device_triggers(family_car.device_id)
    )
    own = sorted(t["type"] for t in triggers if t["domain"] == "homecoming")
    assert own == sorted(labels), "one device trigger per translated trigger type"

    with _failure_screenshot(page, server, "device-triggers"):
        page.goto(f"{server.url}/config/automation/edit/new")
        add = page.get_by_role("button", name="Add trigger")
        expect(add).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        add.click()
        dialog = page.locator("add-automation-element-dialog")
        dialog.get_by_text("By type", exact=True).click()
        dialog.get_by_text("Device", exact=True).click()
        dialog.get_by_text("Triggers when something happens to a device").click()

        editor = page.locator("ha-automation-trigger-device")
        device = editor.locator("ha-device-picker ha-generic-picker")
        device.locator("ha-picker-field").click()
        device.locator("ha-picker-combo-box input").fill(family_car.title)
        device.get_by_role("option", name=family_car.title).click()

        # The trigger-type picker of the car: every device trigger, by its label.
        picker = editor.locator("ha-device-trigger-picker ha-generic-picker")
        field = picker.locator("ha-picker-field")
        expect(field).not_to_contain_text("No triggers")
        field.click()
        options = picker.get_by_role("option")
        expect(options).to_have_count(len(triggers))
        shown = [" ".join(text.split()) for text in options.all_inner_texts()]
        bad = [text for text in shown if "<unknown entity>" in text or "{" in text]
        assert bad == [], f"labels with an unfilled placeholder: {bad}"
        # Home Assistant's triggers of the car's entities start with the entity's name
        # ("Family car Approaching home turned on"); the rest are Homecoming's own.
        homecoming = [
            text for text in shown if not text.startswith(f"{family_car.title} ")
        ]
        assert sorted(homecoming) == sorted(labels.values()), shown

        # For the picture, the picker's search narrows the list to what fits: "home"
        # keeps Homecoming's triggers first (then the car's "… home" entity triggers).
        picker.locator("ha-picker-combo-box input").fill("home")
        for label in labels.values():
            expect(picker.get_by_role("option", name=label, exact=True)).to_be_visible()
        page.mouse.move(0, 0)
        page.wait_for_timeout(500)
        page.screenshot(path=images / "device-triggers.png")
        page.keyboard.press("Escape")


def test_what_homecoming_would_have_done(
    server: Server, page: object, images: Path, commuter: Car
) -> None:
    """Configure → Detection: what the phone's last 14 days would have given."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    with _failure_screenshot(page, server, "replay-preview"):
        page.goto(f"{server.url}/config/integrations/integration/homecoming")
        entry = page.locator("ha-config-entry-row").filter(has_text=commuter.title)
        configure = entry.get_by_role("button", name="Configure")
        expect(configure).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        configure.click()
        flow = page.locator("dialog-data-entry-flow")
        flow.get_by_text("Detection", exact=True).click()
        preview = flow.get_by_text("Your last 14 days with these values")
        expect(preview).to_be_visible()
        expect(preview).to_contain_text(f"trips home: {RECORDED_TRIPS};")
        expect(preview).to_contain_text("false approaches cancelled: 1 (drive-bys: 1)")
        page.wait_for_timeout(500)
        _screenshot(page, images / "replay-preview.png", flow.locator("dialog"))
        page.keyboard.press("Escape")


def test_the_learned_heating_rate_on_the_device_page(
    server: Server, page: object, images: Path, commuter: Car
) -> None:
    """The car's device page: the thermostat's heating rate, learned from the recorder."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    with _failure_screenshot(page, server, "learned-rate"):
        page.goto(f"{server.url}/config/devices/device/{commuter.device_id}")
        diagnostic = page.locator("ha-card").filter(has_text="Living room heating rate")
        expect(diagnostic).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        expect(diagnostic).to_contain_text(f"{RATE:.1f} °C/h")
        # The picture: the car's name, its device info and entities down to the
        # Diagnostic card (the activity column left out), in a taller window.
        page.set_viewport_size({"width": 1280, "height": 1200})
        try:
            page.mouse.move(0, 0)
            page.wait_for_timeout(500)
            info = page.locator("ha-card").filter(has_text="Device info").first
            left, bottom = info.bounding_box(), diagnostic.bounding_box()
            assert left is not None and bottom is not None
            page.screenshot(
                path=images / "learned-rate.png",
                clip={
                    "x": left["x"] - 16,
                    "y": 0,
                    "width": bottom["x"] + bottom["width"] - left["x"] + 32,
                    "height": bottom["y"] + bottom["height"] + 16,
                },
            )
        finally:
            page.set_viewport_size({"width": 1280, "height": 800})


def _screenshot(page: Any, path: Path, element: Any) -> None:
    """Save the part of the page ``element`` covers."""
    box = element.bounding_box()
    assert box is not None, f"{element} is not shown"
    page.screenshot(path=path, clip=box)


async def _commuter(client: HassClient, *, server: Server) -> Car:
    """Add :data:`COMMUTER` following :data:`PHONE`, its history in the recorder.

    The phone is home now (a live state, which the recorder records); its last two days
    are written before that. Once its routines are set (the climate routine with the
    learned rate), the car is reloaded to learn from the thermostat's written heat-ups.
    """
    config_dir = server.process.config_dir
    await client.request(
        "POST",
        f"/api/states/{PHONE}",
        {
            "state": "home",
            "attributes": _phone_attributes((HOME_LAT, HOME_LON), 8.0),
        },
        expect=(200, 201),
    )
    history = _phone_history(datetime.now(UTC) - timedelta(minutes=10))
    await asyncio.to_thread(write_states, config_dir, PHONE, history)
    car = await _add_followed_car(client, COMMUTER)
    await forms.configure_routines(client, car)
    sensor = await rate_sensor(client, car.entry_id)
    await asyncio.to_thread(ensure_heating_history, server)
    await reload(client, car.entry_id)
    await learned_state(client, sensor)
    return car


async def _browser_car(client: HassClient, *, secret: str) -> Car:
    """Return the car added in the browser, after pushing it a signed first position."""
    cars = [car for car in await client.cars() if car.title == "Browser car"]
    assert len(cars) == 1, "the car added in the browser is set up"
    car = cars[0]
    url = await client.webhook_url(car.entry_id)
    drive = sim.Drive(start=datetime.now(UTC) - timedelta(seconds=30), seed=5)
    drive.at(*sim.along(250, 3_200)).drive_to(*sim.along(250, 2_900), 15.0)
    body = json.dumps([drives.fix_payload(fix) for fix in drive.fixes]).encode()
    status, answer = await drives.post_push(
        client.session, url, body, drives.signed_headers(secret, body)
    )
    assert status == 200, answer
    return car


async def _add_followed_car(client: HassClient, name: str) -> Car:
    """Add a car that follows :data:`PHONE` through the config flow."""
    path = "/api/config/config_entries/flow"
    result = await client.request("POST", path, {"handler": "homecoming"})
    flow_id = result["flow_id"]
    result = await client.flow_step(path, flow_id, {"next_step_id": "entity"})
    result = await client.flow_step(path, flow_id, {"tracked_entity": PHONE})
    result = await client.flow_step(
        path, flow_id, {"home_zone": "zone.home", "name": name}
    )
    if result["type"] != "create_entry":
        msg = f"the car was not created: {result}"
        raise HarnessError(msg)
    car = Car(result["result"]["entry_id"], result["title"], "")
    return await client.find_entities(car)


def _phone_attributes(position: tuple[float, float], accuracy: float) -> dict[str, Any]:
    """Return what a phone's GPS tracker writes with a position."""
    return {
        "latitude": position[0],
        "longitude": position[1],
        "gps_accuracy": accuracy,
        "source_type": "gps",
    }


def _phone_history(end: datetime) -> list[Recorded]:
    """Return the phone's last two days, up to ``end``: three trips home, a drive-by.

    Each day it drives to work, spends seven hours there and comes home; on the second
    it drives past home (800 m east) to a shop first, and comes home from there. A fix
    every 10 s while it moves or stands somewhere after a drive; nothing meanwhile.
    """

    def days(start: datetime) -> sim.Drive:
        drive = sim.Drive(
            home=(HOME_LAT, HOME_LON), start=start, interval=10.0, seed=15
        )
        for day in range(RECORDED_TRIPS):
            drive.stop(60).drive_to(*WORK, 16.0).stop(60).gap(7 * 3600).stop(60)
            if day == 1:
                drive.drive_to(800.0, -6_000.0, 16.0).drive_to(800.0, 6_000.0, 16.0)
                drive.stop(120).gap(20 * 60).stop(60)
            drive.drive_to(0.0, 0.0, 14.0).stop(300)
            if day < RECORDED_TRIPS - 1:
                drive.gap(10 * 3600)
        return drive

    length = days(end).now - end
    home = sim.home_at(HOME_LAT, HOME_LON, radius=HOME_RADIUS_M)
    return [
        Recorded(
            fix.timestamp,
            "home" if sim.distance_to_home(fix, home) <= HOME_RADIUS_M else "not_home",
            _phone_attributes((fix.latitude, fix.longitude), fix.accuracy or 10.0),
        )
        for fix in days(end - length).fixes
    ]
