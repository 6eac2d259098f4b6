"""What every benchmark shares: statistics, throw-away databases, statement counting, processes.

Figures are medians of several runs because a 2-core machine that also runs the fake Slack and
the load generator is noisy; percentiles interpolate linearly so small samples stay stable.
"""

from __future__ import annotations

import json
import math
import os
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SQLITE = "sqlite"
POSTGRES = "postgresql"
DEFAULT_POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# --- statistics ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks; nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def timed_median(measure: Any, repeats: int, warmups: int = 1) -> tuple[float, Any]:
    """Median seconds of `measure()` over `repeats` runs after `warmups`; the last result."""
    result: Any = None
    for _ in range(warmups):
        result = measure()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = measure()
        seconds.append(time.perf_counter() - started)
    return median(seconds), result


# --- databases -----------------------------------------------------------------------------


def postgres_admin_url() -> str:
    """The server the test suite uses (ASSESSBOT_TEST_POSTGRES_URL), any database on it."""
    configured = os.environ.get("ASSESSBOT_TEST_POSTGRES_URL")
    if not configured:
        return DEFAULT_POSTGRES_ADMIN_URL
    return make_url(configured).set(database="postgres").render_as_string(hide_password=False)


def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used (None when it can): its rows are skipped, not failed."""
    try:
        engine = create_engine(postgres_admin_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any driver error means "skip PostgreSQL"
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return None


def backends(include_postgres: bool = True) -> tuple[list[str], str | None]:
    """The backends to run and, when PostgreSQL is skipped, why."""
    if not include_postgres:
        return [SQLITE], "PostgreSQL not requested"
    reason = postgres_unreachable()
    if reason is not None:
        return [SQLITE], f"PostgreSQL unreachable at {postgres_admin_url()}: {reason}"
    return [SQLITE, POSTGRES], None


@contextmanager
def temporary_database(backend: str, label: str) -> Iterator[str]:
    """An empty database that is deleted afterwards; yields its URL."""
    if backend == SQLITE:
        with tempfile.TemporaryDirectory(prefix=f"bench-{label}-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    from tests.conftest import create_postgres_database, drop_postgres_database

    admin = postgres_admin_url()
    name = f"assessbot_bench_{label}_{os.getpid()}"
    url = create_postgres_database(admin, name)
    try:
        yield url
    finally:
        drop_postgres_database(admin, name)


def reset_sequences(engine: Engine, tables: Sequence[str]) -> None:
    """After bulk inserts with explicit ids, PostgreSQL's sequences must move past them."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        for table in tables:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
            )


def analyze(engine: Engine) -> None:
    """What autovacuum does within a minute of a bulk load, done at once: ANALYZE, so plans
    are made from statistics and not blind, and VACUUM, which a load of inserts triggers too
    (autovacuum_vacuum_insert_threshold, PostgreSQL 13+). Without the VACUUM every first
    read of a fresh row checks its transaction's status and index-only scans fetch the heap:
    a state a live database is never in a minute after its writes."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


@dataclass
class StatementCounter:
    """Counts the SQL statements an engine sends while the block runs (executemany = 1)."""

    engine: Engine
    count: int = 0
    statements: list[str] = field(default_factory=list)

    def _seen(self, *args: Any) -> None:
        self.count += 1
        self.statements.append(str(args[2]).split("\n", 1)[0][:120])

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env(**values: str) -> dict[str, str]:
    """A clean environment for a child process: no inherited Slack or database settings."""
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    env["MPLCONFIGDIR"] = str(Path(tempfile.gettempdir()) / "assessbot-mpl")
    env["PYTHONPATH"] = str(ROOT)
    env.update(values)
    return env


def wait_for_health(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if json.loads(answer.read()).get("ok"):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} never answered /healthz:\n{log.read_text()[-3000:]}")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20) -> int:
    """SIGTERM, then wait; kill only if it would not stop. Its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def stolen_cpu_seconds() -> float:
    """CPU time the hypervisor gave to other guests (Linux /proc/stat 'steal'; 0 elsewhere):
    on a shared virtual machine it slows every figure without showing in the load average."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0
