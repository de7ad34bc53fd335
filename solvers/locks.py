"""One writer per output file: :class:`OutputLock`, held on ``<path>.lock`` while the file is written."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import OutputLockedError

LOCK_SUFFIX = ".lock"

try:
    import fcntl
except ImportError:  # Windows: OutputLock falls back to an exclusive create
    fcntl = None


def lock_path(path: Path) -> Path:
    """The lock file of output ``path``: ``<path>.lock``."""
    return path.with_name(path.name + LOCK_SUFFIX)


class OutputLock:
    """The exclusive right to write ``path``, held as ``flock`` on ``<path>.lock`` from acquire to release.

    ``flock`` dies with its process, so a crash leaves no stale lock. The lock file is
    removed on release while still locked, and a taker re-checks that the file it locked
    is still the one at that name, so removing it never lets two writers in. Without
    ``fcntl`` an exclusive create stands in; there a crash leaves the lock file behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = lock_path(path)
        self._fd: int | None = None

    def acquire(self) -> "OutputLock":
        """Take the lock, or raise :class:`OutputLockedError` at once, having touched nothing else."""
        self.file.parent.mkdir(parents=True, exist_ok=True)
        while self._fd is None:
            if fcntl is None:
                try:
                    self._fd = os.open(self.file, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                except FileExistsError:
                    raise self._busy(f"; if no run is alive, delete {self.file}") from None
                break
            fd = os.open(self.file, os.O_CREAT | os.O_RDWR, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise self._busy("") from None
            try:
                current = os.path.samestat(os.fstat(fd), os.stat(self.file))
            except FileNotFoundError:
                current = False
            if current:
                self._fd = fd
            else:  # the holder released (removed) it between our open and flock: lock the new file
                os.close(fd)
        return self

    def _busy(self, hint: str) -> OutputLockedError:
        return OutputLockedError(
            f"{self.path} is being written by another process (it holds {self.file}); "
            f"wait for it to finish or write elsewhere{hint}"
        )

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if fcntl is not None:  # remove while locked: see the class note
                self.file.unlink(missing_ok=True)
        finally:
            os.close(fd)
        if fcntl is None:  # Windows cannot remove an open file
            self.file.unlink(missing_ok=True)
