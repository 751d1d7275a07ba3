"""Tests of the config, options and subentry flows."""
