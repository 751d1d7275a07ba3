"""The day of driving the replay tests share: trips home, a drive-by, a silent approach."""

from __future__ import annotations

from devtools import sim


def a_day() -> sim.Drive:
    """Return a day: a trip home, a drive-by, an approach gone silent, a trip home.

    From 8 km out home (16:30), parked 10 min; away 9 km north, parked 30 min; south past
    home 800 m to the east (a drive-by, ``past`` its end), parked 30 min; towards home
    to 3 km out, then nothing for 20 min (``silent``: the phone off), parked 5 min; home,
    parked 5 min. A fix every 10 s.
    """
    drive = sim.Drive(start=sim.DEFAULT_START, interval=10.0, seed=1)
    drive.at(*sim.along(30.0, 8_000.0)).drive_to(0.0, 0.0, 15.0).stop(600.0)
    drive.drive_to(800.0, 9_000.0, 15.0).stop(1_800.0)
    drive.drive_to(800.0, -9_000.0, 20.0).mark("past").stop(1_800.0)
    drive.drive_to(300.0, -3_000.0, 15.0).mark("silent").gap(1_200.0).stop(300.0)
    drive.drive_to(0.0, 0.0, 15.0).stop(300.0)
    return drive
