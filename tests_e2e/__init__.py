"""End-to-end tests against a real Home Assistant (run by scripts/test with .venv-hass)."""
