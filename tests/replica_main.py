"""Run `assessbot …` in a child process, optionally at a fixed moment (time-machine).

Used by tests that need real separate processes on a chosen weekday morning: time-machine moves
every clock in the process (datetime, time.time, APScheduler's) without a test hook in the
product. Usage: `python -m tests.replica_main [--at ISO-DATETIME] assessbot-args…`.
"""

from __future__ import annotations

import sys
from datetime import datetime

import time_machine

from bot.cli import main


def run(argv: list[str]) -> int:
    if argv[:1] == ["--at"]:
        moment = datetime.fromisoformat(argv[1])
        with time_machine.travel(moment, tick=True):
            return main(argv[2:])
    return main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
