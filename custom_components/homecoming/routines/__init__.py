"""A car's routines: its options (:mod:`.options`) and the runner (:mod:`.runner`)."""

from .options import RoutineOptions
from .runner import Decision, RoutineRunner, routine_store

__all__ = ["Decision", "RoutineOptions", "RoutineRunner", "routine_store"]
