"""Tests of Homecoming."""
