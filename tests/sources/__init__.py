"""Tests of the approach sources: entity follower, push parsers, webhook."""
