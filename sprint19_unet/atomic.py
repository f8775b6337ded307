"""Write files so that a crash never leaves a torn one.

Everything is written to a temporary file in the destination's folder and then
moved into place with ``os.replace``, which is atomic on one file system: a
reader (or a resumed run) sees either the old complete file or the new one.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> write_text_atomically(path, "hello").read_text()
    'hello'
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sprint19_unet.errors import bad_input


def _unwritable(path: Path, error: OSError):
    return bad_input(
        f"output '{path}'",
        f"an error while writing ({error.strerror or error})",
        "a writable folder with free space",
        "Choose another output location, or fix its permissions / free some space.",
    )


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path``.

    The temporary name keeps the suffix (``model.keras`` → ``.model.XXXX.keras``)
    so writers that check the extension, such as ``model.save``, accept it.

    Args:
        path: the final file path; missing parent folders are created.

    Returns:
        A context manager yielding the temporary ``Path`` to write to.

    Raises:
        Sprint19Error: when the folder cannot be created or written to.

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
        >>> with atomic_path(target) as temporary:
        ...     _ = temporary.write_text("done")
        >>> target.read_text()
        'done'
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix or ".tmp")
        os.close(handle)
    except OSError as error:
        raise _unwritable(path, error) from None
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as error:
        raise _unwritable(path, error) from None
    finally:
        if temporary.exists():
            temporary.unlink()


def write_bytes_atomically(path: str | os.PathLike, data: bytes) -> Path:
    """Write bytes atomically.

    Args:
        path: the final file path.
        data: the content.

    Returns:
        The path, as a ``Path``.

    Example:
        >>> import pathlib, tempfile
        >>> write_bytes_atomically(pathlib.Path(tempfile.mkdtemp()) / "b.bin", b"ok").read_bytes()
        b'ok'
    """
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    return Path(path)


def write_text_atomically(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text atomically (see :func:`write_bytes_atomically`).

    Args:
        path: the final file path.
        text: the content.

    Returns:
        The path, as a ``Path``.
    """
    return write_bytes_atomically(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path`` whole.

    A crash while writing leaves ``path`` as it was (old files complete, no
    mixture of old and new). Re-running over an existing output is safe.

    Args:
        path: the final folder.

    Returns:
        A context manager yielding the temporary folder to fill.

    Raises:
        Sprint19Error: when the parent folder cannot be written to, or ``path``
            is a file.

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "masks"
        >>> with atomic_directory(target) as folder:
        ...     _ = (folder / "a.txt").write_text("1")
        >>> sorted(p.name for p in target.iterdir())
        ['a.txt']
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise bad_input(f"output folder '{path}'", "a file", "a folder or a new path", "Choose another output path.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    except OSError as error:
        raise _unwritable(path, error) from None
    try:
        yield temporary
        old = None
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.old."))
            os.replace(path, old / path.name)
        os.replace(temporary, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as error:
        raise _unwritable(path, error) from None
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)


def ensure_writable(folder: str | os.PathLike) -> Path:
    """Check early that a folder can be created and written, before any long work starts.

    Tries a temporary folder inside ``folder`` (or inside its nearest existing
    parent when ``folder`` does not exist yet) and removes it again, so nothing
    is left behind either way.

    Args:
        folder: the output folder.

    Returns:
        The folder, as a ``Path``.

    Raises:
        Sprint19Error: when the folder (or its parent) is a file, read-only or full.

    Example:
        >>> import tempfile
        >>> ensure_writable(tempfile.mkdtemp()).is_dir()
        True
    """
    folder = Path(folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise bad_input(
            f"output '{folder}'", f"a path under the file '{existing}'", "a writable folder",
            "Choose an output location that is not inside a file.",
        )
    try:
        probe = tempfile.mkdtemp(dir=existing, prefix=".write-check.")
        os.rmdir(probe)
    except OSError as error:
        raise _unwritable(folder, error) from None
    return folder
