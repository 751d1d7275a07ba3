"""Tests of the routines: runner and options."""
