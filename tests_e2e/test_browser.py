"""The real frontend in Debian's chromium: add a car through the UI, see its device.

Playwright's Python package drives ``/usr/bin/chromium`` (``executable_path``; no
browser is ever downloaded). Screenshots go to the test's Home Assistant config folder;
with ``HOMECOMING_SCREENSHOTS=1`` they replace the README's in ``docs/images/``.
When chromium or Playwright is missing the test fails in CI (``CI=true``, or
``HOMECOMING_E2E_BROWSER=1`` as ``.ci/run`` sets it) and is skipped, with the reason,
elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
import json
import os
from pathlib import Path
import shutil
from typing import NoReturn

import pytest

from devtools import drives, sim
from devtools.client import Car, HassClient
from devtools.home import PASSWORD, REPO, USERNAME
from tests_e2e.conftest import Server

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


def test_add_a_car_in_the_ui(server: Server, browser: object) -> None:
    """Log in, add Homecoming (push car) in Settings, and open the car's device page."""
    from playwright.sync_api import Browser, Page, expect

    assert isinstance(browser, Browser)
    images = (
        DOCS_IMAGES
        if os.environ.get("HOMECOMING_SCREENSHOTS") == "1"
        else server.process.config_dir / "screenshots"
    )
    images.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, device_scale_factor=1
    )
    page: Page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    # The first config flow of a fresh Home Assistant loads the integration and its
    # translations: on a busy 2-core machine that takes longer than expect's 5 s.
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        # Log in on the real login page.
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

        # Playwright's sync API owns this thread's event loop: ask REST from another.
        with ThreadPoolExecutor(1) as pool:
            car = pool.submit(server.run, partial(_browser_car, secret=secret)).result()
        page.goto(f"{server.url}/config/devices/device/{car.device_id}")
        expect(page.get_by_text("Browser car").first).to_be_visible()
        for name in ENTITY_NAMES:
            expect(page.get_by_text(name, exact=True).first).to_be_visible()
        page.wait_for_timeout(500)
        page.screenshot(path=images / "device-page.png")
    except Exception:
        page.screenshot(path=server.process.config_dir / "browser-failure.png")
        raise
    finally:
        context.close()


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
