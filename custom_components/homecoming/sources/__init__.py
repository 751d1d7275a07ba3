"""Sources: turn the outside world into fixes for the coordinator."""
