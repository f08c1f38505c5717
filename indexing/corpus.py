"""Finding report files and naming them (`source`: the path relative to the corpus dir)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from indexing.loaders import supported
from indexing.models import FileError


@dataclass
class FoundFile:
    """A report file on disk and the source name it is indexed under."""

    path: Path
    source: str


@dataclass
class Discovery:
    """What a run will look at.

    `scopes` decide deletions: an indexed report whose source falls in a scope and was not
    found is removed from the index. A directory that is the corpus dir (or lies outside it)
    is a whole corpus (scope ""); a sub-directory is a prefix; a file is just itself.
    """

    files: list[FoundFile] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)

    def in_scope(self, source: str) -> bool:
        """Whether a stored source belongs to what this run looked at."""
        for scope in self.scopes:
            if scope == "" or source == scope or source.startswith(scope.rstrip("/") + "/"):
                return True
        return False


def _relative(path: Path, root: Path) -> str | None:
    # abspath, not resolve(): a symlinked report keeps the name it has in the corpus.
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return None


def _hidden(name: str) -> bool:
    return name.startswith((".", "~$")) or name.endswith("~")


def discover(paths: list[Path] | None, corpus_dir: Path) -> Discovery:
    """Walk the given paths (default: the corpus dir) for reports, in a stable order."""
    found = Discovery()
    seen: set[str] = set()
    for given in paths or [corpus_dir]:
        inside = _relative(given, corpus_dir) if given.exists() else None
        if not given.exists() and not given.is_symlink():
            # A report deleted from the corpus can be named to drop it from the index.
            rel = _relative(given.parent, corpus_dir)
            if rel is not None:
                source = given.name if rel in ("", ".") else f"{rel}/{given.name}"
                found.scopes.append(source)
            found.errors.append(FileError(path=str(given), reason="no such file or directory"))
            continue
        if given.is_dir():
            root = corpus_dir if inside not in (None, ".", "") else given
            scope = "" if inside in (None, ".", "") else inside
            found.scopes.append(scope)
            for dirpath, dirnames, filenames in os.walk(given, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not _hidden(d))
                for name in sorted(filenames):
                    if _hidden(name):
                        continue
                    _add(found, seen, Path(dirpath) / name, root)
        else:
            root = corpus_dir if inside is not None else given.parent
            source = _add(found, seen, given, root)
            if source:
                found.scopes.append(source)
    return found


def _add(found: Discovery, seen: set[str], path: Path, root: Path) -> str | None:
    source = _relative(path, root) or path.name
    if not supported(path):
        found.errors.append(
            FileError(path=source, reason=f"unsupported file type '{path.suffix or path.name}'")
        )
        return None
    if source in seen:
        return source
    seen.add(source)
    found.files.append(FoundFile(path=path, source=source))
    return source
