"""Tests of the approach engine."""
