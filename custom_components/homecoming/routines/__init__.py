"""A car's routines: its options (:mod:`.options`) and the runner (:mod:`.runner`)."""

from .actuator import Decision
from .options import RoutineOptions
from .runner import RoutineRunner, routine_store

__all__ = ["Decision", "RoutineOptions", "RoutineRunner", "routine_store"]
