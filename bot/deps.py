"""What a listener, a scheduled job or a CLI command needs, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, system_clock
from bot.config import Settings
from standards import Catalogue


@dataclass(frozen=True)
class Deps:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalogue: Catalogue
    clock: Clock = system_clock
    process_name: str = "assessbot"
