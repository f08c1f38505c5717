"""Files prepared once per machine in the user's cache directory, so that a new process
opens them instead of computing them: simplemma's dictionaries as tries (`indexing.lemmas`),
py3langid's model decompressed (`indexing.lexical`), fixed texts' vectors (`bot.facts`).

Everything here is derived from installed packages and can be deleted at any time; it is
rebuilt by the next `reportqa index` (or on first use, for vectors).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/reportqa` (`~/.cache/reportqa` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "reportqa"


def write_atomic(target: Path, write: Callable[[str], None]) -> bool:
    """Have `write(path)` write a file aside, then rename it onto `target`, so that a reader
    never sees half of one and two writers do not clash; False when the cache is not
    writable (everything still works, only slower to start)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    except OSError:
        return False
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, target)
        return True
    except OSError:
        return False
    finally:
        Path(temporary).unlink(missing_ok=True)


def prepared_marker() -> Path:
    """A file that says everything `reportqa index` prepares is there for the installed
    versions, so a run that finds nothing changed checks one file instead of importing the
    libraries to ask them."""
    from importlib.metadata import version

    return (
        cache_dir() / f"prepared-simplemma-{version('simplemma')}-py3langid-{version('py3langid')}"
    )
