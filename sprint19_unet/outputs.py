"""Where a command may write: never onto its inputs, never over a folder it did not write.

Two rules every command that writes follows, checked before any long work starts:

* :func:`refuse_overlap` — an output that *is*, *lies inside* or *contains* one of the
  command's inputs (paths compared after following symlinks) is refused:
  ``predict --data sample --out sample`` would otherwise replace the dataset by its masks.
* :func:`check_output_folder` — an existing output folder is replaced only when the same
  command wrote it: marked by :data:`OUTPUT_MANIFEST` (written by :func:`mark_output`), or,
  for folders from versions before the marker, holding only the kinds of files that
  command writes. Anything else is the user's, and is refused.

Example:
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> overlap(root / "data" / "masks", root / "data")
    'lies inside'
    >>> check_output_folder(root / "new", "predict", re.compile(r".+\\.png"), "--out")  # absent: fine
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from sprint19_unet.atomic import write_text_atomically
from sprint19_unet.errors import bad_input

OUTPUT_MANIFEST = ".sprint19-output.json"


def _real(path: str | os.PathLike) -> Path:
    return Path(os.path.realpath(os.fspath(path)))


def overlap(output: str | os.PathLike, given: str | os.PathLike) -> str | None:
    """How an output path relates to an input path, after following symlinks.

    Args:
        output: where a command would write (file or folder).
        given: one of its inputs (file or folder).

    Returns:
        ``"is"``, ``"lies inside"``, ``"contains"``, or None when they are apart.

    Example:
        >>> overlap("runs/unet", "runs/unet/model.keras"), overlap("masks", "data")
        ('contains', None)
    """
    out, inp = _real(output), _real(given)
    if out == inp:
        return "is"
    if inp in out.parents:
        return "lies inside"
    if out in inp.parents:
        return "contains"
    return None


def refuse_overlap(option: str, output: str | os.PathLike, inputs: dict[str, str | os.PathLike | None],
                   fix: str) -> None:
    """Refuse an output that is, lies inside or contains one of the command's inputs.

    Args:
        option: how the user named the output (``"--out"``, ``"output_dir"``).
        output: the output path.
        inputs: what each input is called (``"--data"``) → its path (None: not a path, skipped).
        fix: one sentence: how to choose another output.

    Raises:
        Sprint19Error: naming the output, the input and how they overlap.

    Example:
        >>> refuse_overlap("--out", "sample", {"--data": "sample"}, "Pass e.g. --out masks.")
        Traceback (most recent call last):
        ...
        sprint19_unet.errors.Sprint19Error: --out 'sample': expected an output apart from the command's inputs (writing there would replace or mix with them); received a path that is --data 'sample'. Pass e.g. --out masks.
    """
    for name, path in inputs.items():
        if path is None:
            continue
        relation = overlap(output, path)
        if relation:
            raise bad_input(f"{option} '{output}'", f"a path that {relation} {name} '{path}'",
                            "an output apart from the command's inputs (writing there would replace or mix with them)",
                            fix)


def _manifest_command(folder: Path) -> str | None:
    manifest = folder / OUTPUT_MANIFEST
    if manifest.is_symlink() or not manifest.is_file():
        return None
    try:
        command = json.loads(manifest.read_text(encoding="utf-8")).get("command")
    except (OSError, ValueError, AttributeError):
        return None
    return command if isinstance(command, str) else None


def check_output_folder(folder: str | os.PathLike, command: str, kinds: re.Pattern, option: str) -> None:
    """Refuse an existing output folder that holds anything but what ``command`` wrote there before.

    Args:
        folder: the output folder (absent and empty folders are fine).
        command: the writing command's name, as :func:`mark_output` records it (``"predict"``).
        kinds: the file names ``command`` writes, for a folder without the marker
            (written by a version before it): accepted when every entry is a file that matches.
        option: how the user named the folder, for the message.

    Raises:
        Sprint19Error: for a file, or a folder holding something else.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp()); _ = (folder / "notes.txt").write_text("mine")
        >>> check_output_folder(folder, "predict", re.compile(r".+\\.png"), "--out")
        Traceback (most recent call last):
        ...
        sprint19_unet.errors.Sprint19Error: --out '...': expected a new or empty folder, or one that predict wrote (it is replaced whole); received a folder that holds other files, e.g. ['notes.txt']. Choose another folder: everything in this one would be replaced.
    """
    folder = Path(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise bad_input(f"{option} '{folder}'", "a file", "a folder", "Choose another folder.")
    entries = [entry for entry in folder.iterdir() if entry.name != OUTPUT_MANIFEST]
    marked = _manifest_command(folder)
    if not entries or marked == command:
        return
    if marked is None:
        foreign = sorted(entry.name for entry in entries
                         if entry.is_symlink() or not entry.is_file() or not kinds.fullmatch(entry.name))
        if not foreign:
            return
        received = f"a folder that holds other files, e.g. {foreign[:3]}"
    else:
        received = f"a folder that the command {marked!r} wrote"
    raise bad_input(f"{option} '{folder}'", received,
                    f"a new or empty folder, or one that {command} wrote (it is replaced whole)",
                    "Choose another folder: everything in this one would be replaced.")


def mark_output(folder: str | os.PathLike, command: str) -> Path:
    """Record in ``folder`` that ``command`` wrote it (see :func:`check_output_folder`).

    Args:
        folder: the output folder being written.
        command: the command's name.

    Returns:
        The marker file's path.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp()); _ = mark_output(folder, "predict")
        >>> check_output_folder(folder, "predict", re.compile(r".+\\.png"), "--out")  # ours: fine
    """
    return write_text_atomically(Path(folder) / OUTPUT_MANIFEST, json.dumps({"command": command}) + "\n")
