"""Write a file atomically: readers see the old file or the complete new one, never a mix."""

from __future__ import annotations

import os
import tempfile

__all__ = ["write_atomic"]

_UMASK = os.umask(0o022)  # read the process umask once (setting it is the only way to read it)
os.umask(_UMASK)


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash at any moment leaves a complete file.

    The bytes go to a new temporary file in the same directory (same file
    system, so the rename is atomic), which is flushed and fsync'ed, then
    renamed onto ``path`` with ``os.replace``; finally the directory is
    fsync'ed so that the rename itself survives a power loss. If writing
    fails, the temporary file is removed and ``path`` is untouched. A process
    killed mid-write can leave a stray ``.<name>.*.tmp`` file next to
    ``path``; it is never read, and later writes use new names.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            if hasattr(os, "fchmod"):  # mkstemp makes the file private (0600)
                os.fchmod(file.fileno(), _mode_for(path))
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


def _mode_for(path: str) -> int:
    """The permissions the new file gets: the replaced file's, else the umask's default."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return 0o666 & ~_UMASK


def _fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
