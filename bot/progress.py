"""Rich progress bars for long work (indexing), drawn on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class _RateColumn(ProgressColumn):
    """Items per second, with the task's unit name."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "")
        return Text(f"{speed:5.1f} {unit}/s" if speed else f"  ... {unit}/s", style="cyan")


class RichIndexProgress:
    """Shows scanning (files) and embedding (paragraphs and sentence units) as bars."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TextColumn("{task.fields[detail]}", style="dim"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._scan = None
        self._embed = None
        self._units = 0
        self._units_done = 0

    def scanning(self, total_files: int) -> None:
        """Start the file-scanning bar."""
        self._progress.start()
        self._scan = self._progress.add_task("Scanning", total=total_files, unit="files", detail="")

    def scanned(self, source: str) -> None:
        """One file read and compared with the index."""
        if self._scan is not None:
            self._progress.update(self._scan, advance=1, detail=source[-40:])

    def planned(self, paragraphs: int, units: int) -> None:
        """More paragraphs to embed were found (reading overlaps embedding)."""
        if paragraphs == 0:
            return
        self._units += units
        if self._embed is None:
            self._embed = self._progress.add_task(
                "Embedding", total=paragraphs, unit="para", detail=f"0/{self._units} sentences"
            )
            return
        total = (self._progress.tasks[self._embed].total or 0) + paragraphs
        self._progress.update(
            self._embed, total=total, detail=f"{self._units_done}/{self._units} sentences"
        )

    def advance(self, paragraphs: int, units: int) -> None:
        """Some sentences embedded, some paragraphs completed."""
        self._units_done += units
        if self._embed is not None:
            self._progress.update(
                self._embed,
                advance=paragraphs,
                detail=f"{self._units_done}/{self._units} sentences",
            )

    def preparing(self, languages: list[str]) -> None:
        """Lemma dictionaries are being prepared (a few seconds a language, once)."""
        self._progress.add_task(
            "Lemmas",
            total=None,
            unit="",
            detail=f"preparing {', '.join(languages)} (once per machine)",
        )

    def finish(self) -> None:
        """Stop drawing."""
        self._progress.stop()
