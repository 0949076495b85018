"""`sync`'s progress while a cycle runs: a rich bar on a terminal, plain lines otherwise, on stderr."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from provisioning.engine.apply import Outcome


class CycleProgress:
    """Counts objects read and operations applied; draws them without touching stdout."""

    def __init__(self, *, stream: TextIO | None = None, interactive: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.read = 0
        self.planned = 0
        self.done = 0
        self.failed = 0
        self._started = time.monotonic()
        self._last_line = 0.0
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> CycleProgress:
        if self.interactive:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(
                    "{task.fields[rate]:.1f} ops/s, read {task.fields[read]}, failed {task.fields[failed]}"
                ),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("applying", total=0, rate=0.0, read=0, failed=0)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._refresh()
            self._bar.stop()
        else:
            self._line(force=True)

    def objects_read(self, count: int) -> None:
        self.read += count
        self._update()

    def operations_planned(self, count: int) -> None:
        self.planned += count
        self._update()

    def operation_done(self, outcome: Outcome) -> None:
        self.done += 1
        self.failed += int(outcome.failed)
        self._update()

    def _rate(self) -> float:
        elapsed = time.monotonic() - self._started
        return self.done / elapsed if elapsed > 0 else 0.0

    def _refresh(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task,
                total=self.planned,
                completed=self.done,
                rate=self._rate(),
                read=self.read,
                failed=self.failed,
            )

    def _update(self) -> None:
        if self._bar is not None:
            self._refresh()
        else:
            self._line()

    def _line(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_line < 5:
            return
        self._last_line = now
        print(
            f"progress: read {self.read} objects, applied {self.done}/{self.planned} operations "
            f"({self.failed} failed, {self._rate():.1f}/s)",
            file=self.stream,
            flush=True,
        )
