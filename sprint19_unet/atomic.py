"""Write files so that a crash never leaves a torn one, and read our JSON files back safely.

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
import ctypes
import errno
import glob
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sprint19_unet.errors import bad_input, check_path, one_line

# What names our temporaries: .<stem>.sprint19-XXXXXXXX<suffix> (atomic_path), .<name>.sprint19-<token> and
# .<name>.sprint19-<token>.old (atomic_directory) with its journal .<name>.sprint19-<token>.json.
TEMPORARY_TAG = "sprint19-"


def _unwritable(path: Path, error: OSError):
    return bad_input(
        f"output '{path}'",
        f"an error while writing ({error.strerror or error})",
        "a writable folder with free space",
        "Choose another output location, or fix its permissions / free some space.",
    )


def missing_folders(folder: str | os.PathLike) -> list[Path]:
    """The folders that creating ``folder`` (with its parents) would make, deepest first.

    Args:
        folder: a folder that may not exist yet.

    Returns:
        ``folder`` and each missing parent, deepest first (empty when ``folder`` exists).

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> [path.relative_to(root).as_posix() for path in missing_folders(root / "a" / "b")]
        ['a/b', 'a']
    """
    made, probe = [], Path(folder)
    while not probe.exists() and not probe.is_symlink() and probe != probe.parent:
        made.append(probe)
        probe = probe.parent
    return made


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove folders a failed write created (from :func:`missing_folders`), deepest first, while they are empty.

    Leaves a folder that holds anything (and the ones above it) alone, so a failure
    leaves the user's tree as it was found and never deletes what someone else put there.

    Args:
        folders: deepest first.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> made = missing_folders(root / "a" / "b"); (root / "a" / "b").mkdir(parents=True)
        >>> remove_empty_folders(made); list(root.iterdir())
        []
    """
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path``.

    The temporary name keeps the suffix (``model.keras`` → ``.model.sprint19-XXXXXXXX.keras``)
    so writers that check the extension, such as ``model.save``, accept it; the tag
    (:data:`TEMPORARY_TAG`) tells a leftover of ours from a user's ``.model.backup01.keras``.

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
    path = check_path(path, "output file path")
    made = missing_folders(path.parent)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.{TEMPORARY_TAG}",
                                        suffix=path.suffix or ".tmp")
        os.close(handle)
    except OSError as error:
        remove_empty_folders(made)
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
        if not path.exists():  # the write failed: the folders made for it go too
            remove_empty_folders(made)


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


_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns:
        True when swapped; False where the system or file system cannot do it.
    """
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not Linux, or a C library without renameat2
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))




def _alive(pid: object) -> bool:
    """Whether another process with this id is running (its folders beside ours are still in use)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, but belongs to someone else
        return True
    return True


def _journals(path: Path) -> list[tuple[Path, str]]:
    """The journals an interrupted :func:`atomic_directory` of ``path`` left beside it, with their tokens.

    A journal is a small JSON file ``.<name>.sprint19-<token>.json`` that the call
    writes *before* it creates its folders; only folders named by a journal are ours,
    whatever else beside ``path`` looks like them (``.masks.previous`` is the user's).
    """
    pattern = re.compile(rf"\.{re.escape(path.name)}\.{TEMPORARY_TAG}([0-9a-f]{{16}})\.json")
    found = []
    for entry in path.parent.glob(f".{glob.escape(path.name)}.{TEMPORARY_TAG}*.json"):
        match = pattern.fullmatch(entry.name)
        if not match or entry.is_symlink() or not entry.is_file():
            continue
        try:
            record = json.loads(entry.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # torn while being written: its folders (if any) are left alone
        if isinstance(record, dict) and record.get("token") == match.group(1) and not _alive(record.get("pid")):
            found.append((entry, match.group(1)))
    return found


def _our_folders(path: Path, token: str) -> tuple[Path, Path]:
    """``(temporary, old)``: the new output being written (or, after a swap, the old one) and the old one set aside."""
    temporary = path.parent / f".{path.name}.{TEMPORARY_TAG}{token}"
    return temporary, temporary.with_name(temporary.name + ".old")


def _put_back(path: Path, old: Path) -> None:
    """Restore the old output a kill left set aside (after moving it away, before moving the new one in)."""
    if not path.exists() and not path.is_symlink() and (old / path.name).is_dir():
        os.replace(old / path.name, path)


def _recover(path: Path) -> None:
    """Undo what a kill in the middle of :func:`atomic_directory` left: restore the old output, drop the rest.

    Touches only the folders that a journal names, and only journals of processes no longer running.
    """
    for journal, token in _journals(path):
        temporary, old = _our_folders(path, token)
        _put_back(path, old)
        for folder in (temporary, old):
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
        journal.unlink(missing_ok=True)


def _write_journal(path: Path, token: str) -> Path:
    journal = path.parent / f".{path.name}.{TEMPORARY_TAG}{token}.json"
    descriptor = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump({"pid": os.getpid(), "token": token, "target": path.name}, file)
        file.flush()
        os.fsync(file.fileno())
    return journal


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path`` whole.

    The old and the new folder are swapped in one atomic step where the system
    can (Linux), so a kill at any moment leaves ``path`` complete: the old files
    or the new ones, never a mixture and never nothing. Elsewhere the old folder is
    moved aside first; the next call restores it if a kill came in between.

    Our temporaries are ours by proof, not by name: before it makes any folder, a call
    writes a journal beside ``path`` (``.<name>.sprint19-<token>.json``: its process id
    and a random token), and the next call removes only the folders a journal names,
    of a process that no longer runs. A ``path`` that is a symlink is followed on
    purpose: the output goes where the link points, and the link is never renamed.

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
    path = check_path(path, "output folder path")
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if path.exists() and not path.is_dir():
        raise bad_input(f"output folder '{path}'", "a file", "a folder or a new path", "Choose another output path.")
    made = missing_folders(path.parent)
    token = secrets.token_hex(8)
    temporary, old = _our_folders(path, token)
    journal = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _recover(path)
        journal = _write_journal(path, token)
        temporary.mkdir(mode=0o755)
    except OSError as error:
        if journal is not None:
            journal.unlink(missing_ok=True)
        remove_empty_folders(made)
        raise _unwritable(path, error) from None
    try:
        yield temporary
        if not path.exists():
            os.replace(temporary, path)
        elif not _exchange(temporary, path):  # temporary now holds the old output when swapped
            old.mkdir()
            os.replace(path, old / path.name)
            os.replace(temporary, path)
    except OSError as error:
        raise _unwritable(path, error) from None
    finally:
        _put_back(path, old)
        for folder in (temporary, old):
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
        journal.unlink(missing_ok=True)
        if not path.exists():  # the write failed: the folders made for it go too
            remove_empty_folders(made)


def read_json(path: str | os.PathLike, subject: str, expected: str, fix: str):
    """Read a JSON file a user may have written or edited; every failure is one clear error.

    A UTF-8 byte-order mark (as Windows editors save it) is accepted. Missing files,
    folders, undecodable bytes, invalid JSON and absurdly deep nesting (which makes
    Python's parser raise ``RecursionError``) are all refused with ``subject`` named.

    Args:
        subject: what the file is, for the message (e.g. ``"config file 'run/config.json'"``).
        expected: what a good file holds (e.g. ``"a JSON object of field: value"``).
        fix: one sentence telling the user what to do.

    Returns:
        The decoded JSON value.

    Raises:
        Sprint19Error: naming ``subject``.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.json"
        >>> _ = path.write_bytes(b'\\xef\\xbb\\xbf{"epochs": 3}')
        >>> read_json(path, "config file", "a JSON object", "Fix it.")
        {'epochs': 3}
    """
    path = Path(path)
    if not path.is_file():
        received = "a folder" if path.is_dir() else "a path that does not exist" if not path.exists() else "not a regular file"
        raise bad_input(subject, received, "a JSON file", "Check the path.")
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as error:
        raise bad_input(subject, f"bytes that are not UTF-8 text ({error.reason} at byte {error.start})", expected,
                        f"Save the file as UTF-8. {fix}") from None
    except json.JSONDecodeError as error:
        raise bad_input(subject, f"invalid JSON ({error})", expected, fix) from None
    except RecursionError:
        raise bad_input(subject, "JSON nested too deeply to read", expected, fix) from None
    except ValueError as error:  # an integer of more than 4,300 digits (Python's conversion limit)
        raise bad_input(subject, f"a value too large to read ({one_line(error, 120)})", expected, fix) from None
    except OSError as error:
        raise bad_input(subject, f"an unreadable file ({error.strerror or error})", expected, fix) from None


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
