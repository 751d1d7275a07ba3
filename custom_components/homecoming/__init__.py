"""Homecoming: the car as a device of the home."""
