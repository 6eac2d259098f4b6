"""The summary's pause of the cyclic garbage collector gives the collector back as it found it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from bot.core.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_off_inside_and_back_on_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_exception_still_gives_the_collector_back() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the summary failed")
    assert gc.isenabled()


def test_overlapping_pauses_keep_it_off_until_the_last_one_ends() -> None:
    first_inside, release_first, second_done = threading.Event(), threading.Event(), []

    def first() -> None:
        with collector_paused():
            first_inside.set()
            release_first.wait(5)

    worker = threading.Thread(target=first)
    worker.start()
    assert first_inside.wait(5)
    with collector_paused():
        pass
    second_done.append(gc.isenabled())  # the first pause still holds
    release_first.set()
    worker.join(5)
    assert second_done == [False]
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_it_decorates_a_function() -> None:
    @collector_paused()
    def compute() -> bool:
        return gc.isenabled()

    assert compute() is False
    assert gc.isenabled()
