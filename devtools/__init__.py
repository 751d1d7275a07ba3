"""Developer tools: simulated drives and a real Home Assistant to post them to.

The unit tests, the end-to-end tests, the benchmarks and ``scripts/demo`` /
``scripts/develop`` all import this package the same way, as a top-level package of the
repository root (``from devtools import sim``). No code edits the module search path:
the root is on it because everything runs from there,

* pytest: ``pythonpath = ["."]`` in pyproject.toml (unit tests) and ``pythonpath = ..``
  in ``tests_e2e/pytest.ini`` (end-to-end tests);
* programs run as modules from the root: ``python -m bench.engine``,
  ``python -m devtools.demo`` (the wrappers in ``scripts/`` ``cd`` there first).

One module per job; each talks to Home Assistant over its public interfaces only (REST,
webhook, websocket) and never imports Home Assistant itself:

* :mod:`devtools.sim`: the deterministic drive simulator (pure; only the integration's
  engine models);
* :mod:`devtools.home`: the demo home (``configuration.yaml``, its entities and login);
* :mod:`devtools.hass`: a ``hass -c DIR`` process on a loopback port;
* :mod:`devtools.client`: the REST and websocket client (onboarding, cars, options);
* :mod:`devtools.watch`: following events and states on the websocket;
* :mod:`devtools.forms`: filling the routines' options forms for the demo home;
* :mod:`devtools.drives`: drive plans, simulated drives on the wall clock, posted to a
  car's webhook;
* :mod:`devtools.demo`, :mod:`devtools.develop`: the programs behind ``scripts/demo``
  and ``scripts/develop``.
"""


class HarnessError(RuntimeError):
    """Something about the real Home Assistant did not go as expected."""
