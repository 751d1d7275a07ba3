"""The demo home: its ``configuration.yaml``, its entities and its login.

:func:`write_config` writes it into a configuration directory: template lights, a
``generic_thermostat`` with its heater and temperature helpers, a template garage door
(a ``cover`` of class garage over an ``input_boolean``), a person, ``zone.home``
at :data:`HOME_LAT`, :data:`HOME_LON`; Home Assistant listens on :data:`HOST` only, and
Homecoming is linked from this working tree (``custom_components/homecoming``).
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
from pathlib import Path
from typing import Any

from devtools import HarnessError, sim

REPO = Path(__file__).resolve().parents[1]
"""The repository root (the working tree the integration is linked from)."""
HOST = "127.0.0.1"
HOME_LAT, HOME_LON = sim.DEFAULT_HOME
HOME_RADIUS_M = 100.0
USERNAME = "demo"
PASSWORD = "homecoming-demo"  # noqa: S105 - the demo home's published login
LIGHTS = ("light.driveway", "light.hallway")
THERMOSTAT = "climate.living_room"
HEATER = "input_boolean.heater"
TEMPERATURE = "input_number.living_room_temperature"
GARAGE_DOOR = "cover.garage_door"
"""A template cover of class garage: open while :data:`GARAGE_DOOR_OPEN` is on."""
GARAGE_DOOR_OPEN = "input_boolean.garage_door_open"
TOKEN_FILE = ".homecoming-demo-token"  # noqa: S105 - a file name
"""The owner's long-lived token, kept in the configuration directory."""

CONFIGURATION = """\
# The Homecoming demo home, written by devtools/home.py.
homeassistant:
  name: Homecoming demo
  latitude: {lat}
  longitude: {lon}
  elevation: 2
  radius: {radius}
  unit_system: metric
  time_zone: Europe/Amsterdam
  country: NL
  currency: EUR
  language: en
  internal_url: http://{host}:{port}

frontend:
config:
history:
logbook:
recorder:
  commit_interval: 1
  purge_keep_days: 2
person:
  - id: anna
    name: Anna
sun:
webhook:
logger:
  default: warning
  logs:
    custom_components.homecoming: debug
    homeassistant.core: info
    homeassistant.bootstrap: info

input_boolean:
  heater:
    name: Heater
    icon: mdi:radiator
  driveway_power:
    name: Driveway light power
  hallway_power:
    name: Hallway light power
  garage_door_open:
    name: Garage door open
    icon: mdi:garage-open

input_number:
  living_room_temperature:
    name: Living room temperature
    min: 5
    max: 30
    step: 0.5
    initial: 17
    unit_of_measurement: "°C"
    mode: box

climate:
  - platform: generic_thermostat
    name: Living room
    unique_id: demo_living_room_thermostat
    heater: input_boolean.heater
    target_sensor: input_number.living_room_temperature
    min_temp: 7
    max_temp: 25
    target_temp: 17
    initial_hvac_mode: heat
    precision: 0.5

template:
  - light:
      - name: Driveway
        unique_id: demo_driveway_light
        state: "{{{{ is_state('input_boolean.driveway_power', 'on') }}}}"
        turn_on:
          - action: input_boolean.turn_on
            target:
              entity_id: input_boolean.driveway_power
        turn_off:
          - action: input_boolean.turn_off
            target:
              entity_id: input_boolean.driveway_power
      - name: Hallway
        unique_id: demo_hallway_light
        state: "{{{{ is_state('input_boolean.hallway_power', 'on') }}}}"
        turn_on:
          - action: input_boolean.turn_on
            target:
              entity_id: input_boolean.hallway_power
        turn_off:
          - action: input_boolean.turn_off
            target:
              entity_id: input_boolean.hallway_power
    cover:
      - name: Garage door
        unique_id: demo_garage_door
        device_class: garage
        state: "{{{{ 'open' if is_state('input_boolean.garage_door_open', 'on') else 'closed' }}}}"
        open_cover:
          - action: input_boolean.turn_on
            target:
              entity_id: input_boolean.garage_door_open
        close_cover:
          - action: input_boolean.turn_off
            target:
              entity_id: input_boolean.garage_door_open
"""


HEADERS = (
    CONFIGURATION.split("\n", 1)[0],
    "# The Homecoming demo home, written by tests_e2e/harness.py.",
)
"""First lines of a demo home's ``configuration.yaml`` (this one, and older ones')."""


def write_config(config_dir: Path, port: int) -> None:
    """Write the demo home into ``config_dir`` and link the integration from the tree.

    A demo home's ``configuration.yaml`` is rewritten (for the port); any other
    ``configuration.yaml`` is refused rather than overwritten.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    yaml = config_dir / "configuration.yaml"
    text = CONFIGURATION.format(
        lat=HOME_LAT, lon=HOME_LON, radius=int(HOME_RADIUS_M), host=HOST, port=port
    )
    if yaml.exists() and not yaml.read_text(encoding="utf-8").startswith(HEADERS):
        msg = f"{yaml} is not a demo home's; use another --config directory"
        raise HarnessError(msg)
    yaml.write_text(text, encoding="utf-8")
    write_http_storage(config_dir, port)
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / "homecoming"
    target = REPO / "custom_components" / "homecoming"
    if link.is_symlink() or link.exists():
        if link.resolve() == target.resolve():
            return
        if not link.is_symlink():
            msg = f"{link} exists and is not a link to the working tree"
            raise HarnessError(msg)
        link.unlink()
    link.symlink_to(target, target_is_directory=True)


def write_http_storage(config_dir: Path, port: int) -> None:
    """Make Home Assistant listen on 127.0.0.1:``port`` only, from its first start.

    Since 2026.11 Home Assistant keeps its HTTP settings in ``.storage/http``: a YAML
    ``http:`` section is migrated once into an unconfirmed trial that reverts, after five
    minutes, to the default (port 8123 on every interface) unless confirmed in the UI.
    The demo home writes the confirmed ("stable") settings instead, before Home Assistant
    starts, so it never listens anywhere but on the loopback address.
    """
    path = config_dir / ".storage" / "http"
    path.parent.mkdir(parents=True, exist_ok=True)
    stored: dict[str, Any] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8")).get("data") or {}
    stable = dict(stored.get("stable") or {})
    stable |= {
        "server_port": port,
        "server_host": [HOST],
        "cors_allowed_origins": stable.get(
            "cors_allowed_origins", ["https://cast.home-assistant.io"]
        ),
        "login_attempts_threshold": stable.get("login_attempts_threshold", -1),
        "ip_ban_enabled": stable.get("ip_ban_enabled", True),
        "ssl_profile": stable.get("ssl_profile", "intermediate_v6"),
        "use_x_frame_options": stable.get("use_x_frame_options", True),
        "created_at": datetime.now(UTC).isoformat(),
        "error": None,
        "error_message": None,
    }
    document = {
        "version": 3,
        "minor_version": 1,
        "key": "http",
        "data": {"stable": stable, "pending": None, "yaml_migration_done": True},
    }
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
