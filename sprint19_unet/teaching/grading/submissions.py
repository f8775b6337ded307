"""The submissions of a batch: found, read before any of them runs, and told which assignment they hold.

:func:`find_submissions` walks the submissions folder without following links. Every notebook gets
a row, whatever the letter case of its suffix (``HW.IPYNB``); a link — to a file or a folder, inside
or outside the folder — is reported as not graded (never read through: ``passwd.ipynb ->
/etc/passwd`` is not opened); hidden files and folders (``.ipynb_checkpoints``) are skipped. A
notebook is named by its path below the folder without the suffix (``alice/problem1``); its student
is the first folder of that path (``alice``), so that all of one student's notebooks add up.

:func:`read_submission` reads each notebook's bytes into memory when grading starts, before any
student code runs, so a notebook that rewrites another student's file on disk changes nothing that
is graded. A file that is not a notebook (not JSON, not nbformat, too large, metadata of the wrong
type) is reported, never raised. The other files of a submission's own folder are fingerprinted at the
same time (:func:`folder_manifest`): its room copies only those, unchanged.

Which assignment a notebook holds: the grader's ``assignment``, else its metadata, else its file
name, else none (:func:`assignment_of`).

Example:
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "alice").mkdir(), (root / "alice" / "Problem1.IPYNB").write_text("{}")
    >>> [(s.student, s.notebook, s.problem) for s in find_submissions(root)]
    [('alice', 'alice/Problem1', '')]
"""

from __future__ import annotations

import dataclasses
import os
import re
import warnings
from pathlib import Path

from sprint19_unet.errors import bad_input, one_line
from sprint19_unet.teaching.exercises.registry import ASSIGNMENTS, notebook_assignment
from sprint19_unet.teaching.grading.room import file_digest, folder_files

MAX_NOTEBOOK_BYTES = 50 * 2**20  # larger files are not read (an executed notebook with many figures is a few MB)
SUFFIX = ".ipynb"


@dataclasses.dataclass(frozen=True)
class Submission:
    """One notebook to grade, or one entry that is reported instead.

    Args:
        notebook: the path below the submissions folder without the suffix, ``/`` on every system.
        path: the file (or link).
        problem: why it is not graded (``"not graded: a link to …"``), else ``""``.
        folder: the submission's own folder, which its room copies; None for a notebook directly in the
            submissions folder (the submissions folder is never copied) or given alone.
    """

    notebook: str
    path: Path
    problem: str = ""
    folder: Path | None = None

    @property
    def student(self) -> str:
        """Whose it is: the first folder below the submissions folder (``alice`` for ``alice/problem1``), or
        the notebook's own name when it lies directly in the submissions folder."""
        return self.notebook.split("/")[0]


def _link_problem(path: Path, what: str) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return (f"not graded: {what} is a link (to {one_line(target, 120)}), which the grader does not follow; "
            "put the notebook itself in the submissions folder")


def _notebook_name(relative: str) -> str:
    return relative[: -len(SUFFIX)] if relative.lower().endswith(SUFFIX) else relative


def find_submissions(root: str | os.PathLike) -> list[Submission]:
    """Every notebook under a folder, each named by its path; links reported, not followed.

    Args:
        root: the submissions folder (searched recursively), or one ``.ipynb`` file.

    Returns:
        The submissions sorted by notebook.

    Raises:
        Sprint19Error: when ``root`` does not exist or holds no notebook.
    """
    root = Path(root)
    fix = "Pass the folder holding the students' notebooks (*.ipynb, in subfolders or not)."
    if not root.exists():
        raise bad_input(f"submissions '{root}'", "a path that does not exist", "a folder of notebooks", fix)
    if root.is_file():
        if not root.name.lower().endswith(SUFFIX):
            raise bad_input(f"submissions '{root}'", "a file that is not a .ipynb notebook",
                            "a folder of notebooks or one .ipynb file", fix)
        return [Submission(_notebook_name(root.name), root)]
    found = []
    for folder, subfolders, files in os.walk(root, followlinks=False):
        relative_folder = Path(folder).relative_to(root)
        kept = []
        for name in sorted(subfolders):
            if name.startswith("."):
                continue
            if os.path.islink(os.path.join(folder, name)):
                path = Path(folder, name)
                found.append(Submission((relative_folder / name).as_posix(), path, _link_problem(path, "this folder")))
            else:
                kept.append(name)
        subfolders[:] = kept
        for name in files:
            if name.startswith(".") or not name.lower().endswith(SUFFIX):
                continue
            path = Path(folder, name)
            notebook = _notebook_name((relative_folder / name).as_posix())
            if path.is_symlink():
                found.append(Submission(notebook, path, _link_problem(path, "the notebook")))
            elif not path.is_file():
                found.append(Submission(notebook, path, "not graded: not a regular file"))
            else:
                found.append(Submission(notebook, path, folder=None if Path(folder) == root else Path(folder)))
    if not found:
        raise bad_input(f"submissions folder '{root}'", "no notebook (*.ipynb) in it or its subfolders",
                        "one notebook per student and assignment", fix)
    names = [submission.notebook for submission in found]
    return sorted((dataclasses.replace(s, notebook=s.path.relative_to(root).as_posix()) if names.count(s.notebook) > 1
                   else s for s in found), key=lambda submission: submission.notebook)


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A submission as read when grading starts.

    Args:
        submission: the submission.
        cells: each cell's ``cell_type`` and ``source`` (empty when it is not a notebook).
        notebook: the notebook read with nbformat (for the executed copy), or None.
        assignment: the assignment it holds, or None.
        problem: why it is not graded (not a notebook, a link, no assignment), else ``""``.
        manifest: the files of its own folder as they are now (relative path → SHA-256): its room copies
            only those, unchanged.
    """

    submission: Submission
    cells: list
    notebook: object = None
    assignment: str | None = None
    problem: str = ""
    manifest: dict = dataclasses.field(default_factory=dict)


def assignment_of(path: str | os.PathLike, metadata=None, assignment: str | None = None) -> str | None:
    """The assignment a notebook holds (see the module's docstring for the rule).

    Args:
        path: the notebook's file (its name may name the assignment).
        metadata: the notebook's metadata, of any type (only a dict can name it).
        assignment: the assignment forced by the teacher, or None.

    Returns:
        A key of :data:`~sprint19_unet.teaching.exercises.ASSIGNMENTS`, or None.

    Example:
        >>> assignment_of("Copy of 01_problem1_exercises.ipynb")
        'problem1'
        >>> assignment_of("homework.ipynb", {"sprint19": "problem2"})
        'problem2'
    """
    if assignment is not None:
        return assignment
    named = notebook_assignment(metadata)
    if named is not None:
        return named
    letters = re.sub(r"[^a-z0-9]", "", Path(path).name.lower())
    matches = [name for name in ASSIGNMENTS if name in letters]
    return matches[0] if len(matches) == 1 else None


def read_submission(submission: Submission, assignment: str | None = None) -> Snapshot:
    """Read a notebook into memory (never raises for the file's own faults).

    Args:
        submission: what to read.
        assignment: the assignment forced by the teacher, or None.

    Returns:
        A :class:`Snapshot`; its ``problem`` says why it cannot be graded, if so.
    """
    if submission.problem:
        return Snapshot(submission, [], problem=submission.problem)
    import nbformat

    try:
        with open(submission.path, "rb") as file:
            data = file.read(MAX_NOTEBOOK_BYTES + 1)
        if len(data) > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. cells without ids: nbformat adds them
            notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
        cells = [{"cell_type": str(cell.get("cell_type", "")), "source": _source(cell.get("source", ""))}
                 for cell in notebook.get("cells")]
    except Exception as error:  # JSON, schema, version, decoding, size, OS errors, cells of any type
        return Snapshot(submission, [], problem="not a notebook: " + one_line(f"{type(error).__name__}: {error}", 200))
    chosen = assignment_of(submission.path, notebook.get("metadata"), assignment)
    if chosen is None:
        return Snapshot(submission, cells, notebook, None,
                        f"no assignment: its metadata and file name name none of {', '.join(ASSIGNMENTS)}; "
                        "rename it or grade it with --assignment")
    return Snapshot(submission, cells, notebook, chosen, manifest=folder_manifest(submission.folder))


def folder_manifest(folder: Path | None) -> dict:
    """What a submission's own folder holds now: relative path → SHA-256 of each file a room may copy.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "data.txt").write_text("salt")
        >>> list(folder_manifest(folder))
        ['data.txt']
    """
    if folder is None:
        return {}
    manifest = {}
    for relative, path in folder_files(folder):
        try:
            manifest[relative] = file_digest(path.read_bytes())
        except OSError:
            continue
    return manifest


def _source(source) -> str:
    if isinstance(source, list):
        return "".join(str(line) for line in source)
    return str(source)
