"""The real Kaggle TGS Salt data in one call: download with Kaggle's own client, unpack, check.

:func:`download_tgs` (``python -m sprint19_unet data download --out DIR``) fetches
the *TGS Salt Identification Challenge* files with Kaggle's client library —
``kagglehub`` (installed on Colab) or ``kaggle`` (``pip install kaggle``); neither is
a dependency of this package and nothing is downloaded anywhere else — then
:func:`unpack_tgs` turns them into the layout :func:`~sprint19_unet.data.formats.load_tgs`
reads and checks the counts::

    DIR/train/images/<id>.png   4,000     DIR/train.csv    id,rle_mask
    DIR/train/masks/<id>.png    4,000     DIR/depths.csv   id,z
    DIR/test/images/<id>.png   18,000

Credentials and Kaggle's refusals: :func:`download_tgs`. The unpacked folder appears whole or not
at all (:func:`~sprint19_unet.atomic.atomic_directory`); calling again on a complete folder
downloads nothing.

Example:
    Not run by the doctests (it downloads 450 MB and needs credentials); tests/data/test_download.py
    fakes the client and unpacks a small zip in the competition's layout.

    >>> root = download_tgs("data/tgs")                         # doctest: +SKIP
    >>> load_tgs(root).images.shape                             # doctest: +SKIP
    (4000, 101, 101, 1)
"""

from __future__ import annotations

import importlib
import lzma
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

from sprint19_unet import atomic
from sprint19_unet.data.formats import TGS_SPLITS
from sprint19_unet.errors import Sprint19Error, bad_input

COMPETITION = "tgs-salt-identification-challenge"
COMPETITION_URL = f"https://www.kaggle.com/c/{COMPETITION}"
RULES_URL = f"{COMPETITION_URL}/rules"
# What the competition holds, folder by folder; tests pass smaller counts.
TGS_COUNTS = {"train/images": 4000, "train/masks": 4000, "test/images": 18000}
CLIENTS = ("auto", "kagglehub", "kaggle")
CREDENTIAL_VARIABLES = ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN")

_KINDS = ("images", "masks")
_CSV_FILES = ("train.csv", "depths.csv")
_ID_PNG = re.compile(r"[A-Za-z0-9_-]+\.png")  # a Kaggle id as a file name; anything else is not ours
_DUPLICATE_ARCHIVE = "competition_data.zip"  # the same images as train.zip and test.zip


# === Credentials and the client ===


def _colab_secrets_to_environment() -> list[str]:
    """Copy Kaggle credentials from Colab secrets into the environment, where none is set yet.

    Returns:
        The names copied (none outside Colab, or when the notebook has no access to the secrets).
    """
    missing = [name for name in CREDENTIAL_VARIABLES if not os.environ.get(name)]
    if not missing:
        return []
    try:
        from google.colab import userdata  # type: ignore[import-not-found]
    except ImportError:  # not on Colab
        return []
    copied = []
    for name in missing:
        try:
            value = userdata.get(name)
        except Exception:  # no such secret, or the notebook was not given access to it
            continue
        if value:
            os.environ[name] = str(value).strip()
            copied.append(name)
    return copied


def _credential_sources() -> list[str]:
    """Where Kaggle credentials were found: environment variables, kaggle.json."""
    found = [name for name in CREDENTIAL_VARIABLES if os.environ.get(name)]
    folder = Path(os.environ.get("KAGGLE_CONFIG_DIR") or Path.home() / ".kaggle")
    if (folder / "kaggle.json").is_file():
        found.append(str(folder / "kaggle.json"))
    return found


def _http_status(error: BaseException) -> int | None:
    """401 or 403 when an exception (or one it was raised from) is Kaggle refusing access, else None.

    The clients say it differently: ``kaggle`` raises ``ApiException`` with ``.status``
    (older) or ``requests.HTTPError`` with ``.response.status_code`` (newer);
    ``kagglehub`` raises ``KaggleApiHTTPError`` (an ``HTTPError``) or ``UnauthenticatedError``.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        response = getattr(error, "response", None)
        for status in (getattr(error, "status", None), getattr(error, "status_code", None),
                       getattr(response, "status_code", None), getattr(response, "status", None)):
            if isinstance(status, int) and status in (401, 403):
                return status
        name = type(error).__name__
        if "Unauthenticated" in name or "Unauthorized" in name:
            return 401
        if "Forbidden" in name or "PermissionDenied" in name:
            return 403
        match = re.search(r"\b(401|403)\b", str(error))
        if match:
            return int(match.group(1))
        error = error.__cause__ or error.__context__
    return None


def _refused(status: int, error: BaseException | str) -> Sprint19Error:
    """The one error for a refused download, whatever the client said."""
    word = {401: "Unauthorized", 403: "Forbidden"}[status]
    sources = _credential_sources()
    found = (f" (credentials found: {', '.join(sources)})" if sources
             else " (no credentials found: none of KAGGLE_USERNAME/KAGGLE_KEY, KAGGLE_API_TOKEN, "
                  "Colab secrets or ~/.kaggle/kaggle.json)")
    said = " ".join(str(error).split())[:160]
    return bad_input(
        f"Kaggle download of '{COMPETITION}'",
        f"{status} {word}{found}" + (f": {said}" if said else ""),
        "a signed-in Kaggle account that has accepted the competition's rules, with its API token set",
        f"Sign in at kaggle.com, accept the rules at {RULES_URL}, then set your API token "
        "(kaggle.com → Settings → API → Create New Token): KAGGLE_USERNAME and KAGGLE_KEY, or KAGGLE_API_TOKEN, "
        "as environment variables or, on Colab, as secrets with notebook access.",
    )


class _ClientMissing(Exception):
    """The client library is not installed."""


def _download_with_kagglehub(folder: Path) -> Path:
    try:
        kagglehub = importlib.import_module("kagglehub")
    except ImportError as error:
        raise _ClientMissing(str(error)) from None
    return Path(kagglehub.competition_download(COMPETITION))  # its cache folder (re-used on the next call)


def _authentication_failure(error: BaseException) -> str:
    """What the ``kaggle`` package said when it found no credentials (it may just exit)."""
    if isinstance(error, SystemExit):
        return "the kaggle package found no credentials"
    return str(error)


def _download_with_kaggle(folder: Path) -> Path:
    try:
        # importing the package authenticates: without credentials it raises OSError or exits
        extended = importlib.import_module("kaggle.api.kaggle_api_extended")
    except ImportError as error:
        raise _ClientMissing(str(error)) from None
    except (OSError, ValueError, SystemExit) as error:
        raise _refused(401, _authentication_failure(error)) from None
    api = extended.KaggleApi()
    try:
        api.authenticate()
    except (OSError, ValueError, SystemExit) as error:
        raise _refused(401, _authentication_failure(error)) from None
    api.competition_download_files(COMPETITION, path=str(folder), quiet=True)
    return folder


_DOWNLOADERS = {"kagglehub": _download_with_kagglehub, "kaggle": _download_with_kaggle}


def _download(client: str, folder: Path) -> Path:
    """Download the competition's files with the first client that is installed; their folder or zip."""
    missing = []
    for name in (("kagglehub", "kaggle") if client == "auto" else (client,)):
        try:
            return _DOWNLOADERS[name](folder)
        except _ClientMissing as error:
            missing.append(f"{name} ({error})")
        except Sprint19Error:
            raise
        except Exception as error:  # the client's own failure: refused access, the network, a full disk
            status = _http_status(error)
            if status is not None:
                raise _refused(status, error) from None
            raise bad_input(
                f"Kaggle download of '{COMPETITION}'", f"{type(error).__name__}: {' '.join(str(error).split())[:200]}",
                "the competition's files", "Check the internet connection and the free disk space, then try again.",
            ) from None
    raise bad_input(
        "Kaggle client", "not installed: " + "; ".join(missing),
        "Kaggle's client library, kagglehub or kaggle",
        "Run: pip install kaggle (Colab has kagglehub already), then set your API token.",
    )


# === Unpacking ===


# What unpacking may write, checked against each archive's directory before a byte is written: a
# 101×101 image is at most about 80 KB even as 16-bit RGBA, the competition's CSVs a few MB.
MAX_PNG_BYTES = 128 * 1024
MAX_CSV_BYTES = 64 * 1024 * 1024
MAX_NESTING = 3  # the download's zip → train.zip → images/: two levels; one more of slack
UNBOUNDED_BYTES = 4 * 1024**3  # without expected counts (tests, other sizes): the most unpacking writes in all
_MARGIN = 1.1  # expected counts: this much more, plus a few files, is still accepted


class _Budget:
    """What unpacking may still write: bytes and files, from the expected layout (with a margin)."""

    def __init__(self, expected_counts):
        if expected_counts:
            self.files = int(sum(expected_counts.values()) * _MARGIN) + 100
            self.bytes = self.files * MAX_PNG_BYTES + 2 * MAX_CSV_BYTES
        else:
            self.files, self.bytes = None, UNBOUNDED_BYTES

    def spend(self, files: int, size: int, where: str) -> None:
        if self.files is not None and files > self.files:
            raise bad_input(where, f"{files:,} more files to unpack", f"at most {self.files:,} (the competition's "
                            "layout with a margin)", "Check that the file is the TGS Salt competition's download.")
        if size > self.bytes:
            raise bad_input(where, f"{size:,} more bytes to unpack", f"at most {self.bytes:,} (the competition's "
                            "layout with a margin)", "Check that the file is the TGS Salt competition's download.")
        if self.files is not None:
            self.files -= files
        self.bytes -= size


def _folder_entries(folder: Path) -> Iterator[tuple[tuple[str, ...], int, Callable]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path.relative_to(folder).parts, path.stat().st_size, lambda path=path: open(path, "rb")


def _zip_entries(archive: zipfile.ZipFile, where: str) -> list[tuple[tuple[str, ...], int, Callable]]:
    entries, seen = [], set()
    for info in archive.infolist():
        if not info.filename or info.filename.endswith("/"):  # a folder, or a name cut at a NUL byte
            continue
        if info.filename in seen:
            raise bad_input(where, f"the entry '{info.filename}' twice", "each file once",
                            "The archive was edited or damaged: download it again.")
        seen.add(info.filename)
        entries.append((PurePosixPath(info.filename).parts, info.file_size, lambda info=info: archive.open(info)))
    return entries


def _split_of(parts: tuple[str, ...], context: str | None) -> str | None:
    """``train`` or ``test``: the nearest folder of that name, else the archive's (``train.zip``)."""
    for part in reversed(parts):
        if part.lower() in TGS_SPLITS:
            return part.lower()
    return context


def _plan(entries, names: set[str], dest: Path, context: str | None, where: str):
    """What of ``entries`` is unpacked, and where: ``(parts, size, open, target or None for a nested zip)``."""
    skip_duplicate = {"train.zip", "test.zip"} <= names
    for parts, size, open_entry in entries:
        if not parts:  # an empty name (zipfile cuts a name at a NUL byte): not one of the competition's files
            continue
        name = parts[-1]
        lower = name.lower()
        if "__MACOSX" in parts or name.startswith("."):
            continue
        if lower.endswith(".zip"):
            if not (skip_duplicate and lower == _DUPLICATE_ARCHIVE):
                yield parts, size, open_entry, None
        elif lower in _CSV_FILES and len(parts) <= 2:
            if size > MAX_CSV_BYTES:
                raise bad_input(f"{where}: '{'/'.join(parts)}'", f"{size:,} bytes", f"at most {MAX_CSV_BYTES:,}",
                                "Check that the file is the TGS Salt competition's download.")
            yield parts, size, open_entry, dest / lower
        elif _ID_PNG.fullmatch(name) and len(parts) >= 2 and parts[-2].lower() in _KINDS:
            split = _split_of(parts[:-2], context)
            if split is None or (split, parts[-2].lower()) == ("test", "masks"):
                continue
            if size > MAX_PNG_BYTES:
                raise bad_input(f"{where}: '{'/'.join(parts)}'", f"{size:,} bytes", f"at most {MAX_PNG_BYTES:,} for "
                                "a 101×101 image", "Check that the file is the TGS Salt competition's download.")
            yield parts, size, open_entry, dest / split / parts[-2].lower() / name


def _unpack_entries(entries, dest: Path, work: Path, context: str | None, counter: list, budget: _Budget,
                    where: str, depth: int) -> None:
    """Copy the images, masks and CSVs among ``entries`` into ``dest``; open nested zips on the way.

    The whole archive's share is checked against ``budget`` before anything of it is written.
    """
    names = {parts[-1].lower() for parts, _, _ in entries if parts}
    plan = list(_plan(entries, names, dest, context, where))
    budget.spend(len(plan), sum(size for _, size, _, _ in plan), where)
    for parts, size, open_entry, target in plan:
        if target is None:
            counter[0] += 1
            nested = work / f"nested-{counter[0]}.zip"
            with open_entry() as source, open(nested, "wb") as file:
                shutil.copyfileobj(source, file)
            stem = PurePosixPath(parts[-1].lower()).stem
            _unpack(nested, dest, work, _split_of(parts[:-1], stem if stem in TGS_SPLITS else context), counter, budget,
                    f"{where} → {'/'.join(parts)}", depth + 1)
            nested.unlink()
        elif not target.exists():  # the same image in two of the download's archives: the first is kept
            target.parent.mkdir(parents=True, exist_ok=True)
            with open_entry() as source, open(target, "wb") as file:
                shutil.copyfileobj(source, file)


# What reading a zip can raise besides BadZipFile: damaged deflate data, an encrypted entry (RuntimeError),
# a compression method Python lacks (NotImplementedError), a truncated or damaged LZMA/BZ2 stream.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError, lzma.LZMAError,
               ValueError)


def _unpack(source: Path, dest: Path, work: Path, context: str | None, counter: list, budget: _Budget,
            where: str, depth: int = 0) -> None:
    if depth > MAX_NESTING:
        raise bad_input(where, f"zip files nested more than {MAX_NESTING} deep", "the competition's zip files "
                        "(a zip holding train.zip and test.zip)", "Check that the file is the TGS Salt "
                        "competition's download.")
    if source.is_dir():
        entries = list(_folder_entries(source))
        _unpack_entries(entries, dest, work, context, counter, budget, where, depth)
        return
    try:
        with zipfile.ZipFile(source) as archive:
            _unpack_entries(_zip_entries(archive, where), dest, work, context, counter, budget, where, depth)
    except _ZIP_ERRORS as error:
        if isinstance(error, Sprint19Error):
            raise
        reason = "an encrypted entry" if "encrypted" in str(error) else f"{type(error).__name__}: {str(error)[:120]}"
        raise bad_input(where, f"a damaged zip file, or one Python cannot read ({reason})", "the competition's zip files "
                        "(deflate-compressed, unencrypted)", "Delete the download and run it again.") from None


def _counts(root: Path) -> dict[str, int]:
    return {key: sum(1 for path in (root / key).glob("*.png")) if (root / key).is_dir() else 0 for key in TGS_COUNTS}


def _check_counts(root: Path, expected_counts, where: str) -> dict[str, int]:
    counts = _counts(root)
    if not counts["train/images"]:
        raise bad_input(where, "no training image (train/images/<id>.png)", "the TGS Salt competition's files",
                        f"Check that the files come from {COMPETITION_URL}.")
    for key, expected in (expected_counts or {}).items():
        if counts.get(key) != expected:
            raise bad_input(where, f"{counts.get(key, 0):,} files in {key}",
                            f"{expected:,} there (the competition's count)",
                            "The download is incomplete or not the TGS Salt competition's: run the download again.")
    images = {path.stem for path in (root / "train" / "images").glob("*.png")}
    masks = {path.stem for path in (root / "train" / "masks").glob("*.png")}
    if masks and images != masks:
        raise bad_input(where, f"{len(images ^ masks)} training images without a mask or masks without an image",
                        "one mask per training image", "Run the download again.")
    return counts


def unpack_tgs(source: str | os.PathLike, dest: str | os.PathLike, *, expected_counts=TGS_COUNTS) -> Path:
    """Unpack the competition's files into the layout :func:`~sprint19_unet.data.formats.load_tgs` reads.

    The competition's download holds ``train.zip`` (``images/`` and ``masks/``),
    ``test.zip`` (``images/``), ``train.csv``, ``depths.csv`` and a few other files
    (``sample_submission.csv``, ``competition_data.zip`` with the same images again,
    ``flamingo.zip``); :func:`unpack_tgs` takes it as the one zip file ``kaggle``
    writes, as the folder ``kagglehub`` returns, or already unzipped.

    Args:
        source: the competition's zip (as ``kaggle`` downloads it), a folder holding
            its files (as ``kagglehub`` returns it: ``train.zip``, ``test.zip``, the CSVs),
            or an unzipped folder.
        dest: the folder to create (absent or empty); it appears only when complete.
        expected_counts: ``{"train/images": n, "train/masks": n, "test/images": n}``
            to check (default: the competition's 4,000 / 4,000 / 18,000), or None.

    Returns:
        ``dest``, as a ``Path``.

    Raises:
        Sprint19Error: for a missing source, a damaged zip, a ``dest`` that is not
            empty, or counts that differ from ``expected_counts`` (then nothing is written).

    Example:
        >>> import numpy as np, pathlib, shutil, tempfile
        >>> from sprint19_unet.data.formats import load_tgs, write_tgs_layout
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> masks = np.zeros((2, 101, 101), bool); masks[1, :50] = True
        >>> _ = write_tgs_layout(folder / "kaggle", ["a", "b"], np.zeros((2, 101, 101)), masks)
        >>> train = folder / "kaggle" / "train"
        >>> _ = shutil.make_archive(str(train), "zip", train)  # train.zip holds images/ and masks/
        >>> shutil.rmtree(train)
        >>> root = unpack_tgs(folder / "kaggle", folder / "tgs", expected_counts=None)
        >>> load_tgs(root).ids
        ['a', 'b']
    """
    source, dest = Path(source), Path(dest)
    if not source.exists():
        raise bad_input(f"TGS download '{source}'", "a path that does not exist",
                        "the competition's zip file or the folder holding its files", "Check the path.")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise bad_input(f"TGS folder '{dest}'", "a file" if not dest.is_dir() else "a folder that is not empty",
                        "a new or empty folder", "Pick another folder, or delete this one first.")
    with tempfile.TemporaryDirectory(prefix="sprint19-unpack-") as work, atomic.atomic_directory(dest) as folder:
        _unpack(source, folder, Path(work), None, [0], _Budget(expected_counts), f"TGS download '{source}'")
        _check_counts(folder, expected_counts, f"TGS download '{source}'")
    return dest


def _complete(dest: Path, expected_counts) -> bool:
    if not (dest / "train" / "images").is_dir():
        return False
    counts = _counts(dest)
    return bool(counts["train/images"]) and all(counts.get(key) == n for key, n in (expected_counts or {}).items())


def download_tgs(
    dest: str | os.PathLike = "data/tgs",
    *,
    client: str = "auto",
    expected_counts=TGS_COUNTS,
    log: Callable[[str], None] | None = print,
) -> Path:
    """Download the TGS Salt competition's data with Kaggle's client and unpack it for :func:`load_tgs`.

    **Credentials.** The client reads ``KAGGLE_USERNAME`` and ``KAGGLE_KEY`` (or
    ``KAGGLE_API_TOKEN``) from the environment, or ``~/.kaggle/kaggle.json``. On Colab,
    secrets of those names (the key icon, with notebook access on) are copied into the
    environment first. Kaggle answers 401 without valid credentials and 403 until the
    account has accepted the competition's rules; both become one
    :class:`~sprint19_unet.errors.Sprint19Error` that says what to do.

    Args:
        dest: the folder to create (absent or empty). A folder that already holds
            the complete data is returned as it is, without downloading.
        client: ``"kagglehub"``, ``"kaggle"`` or ``"auto"`` (the first one installed).
        expected_counts: the file counts to check (see :func:`unpack_tgs`), or None.
        log: called with a line or two of progress (default ``print``), or None.

    Returns:
        ``dest``, as a ``Path``.

    Raises:
        Sprint19Error: when no client is installed (``pip install kaggle``), when
            Kaggle refuses (401/403: sign in, accept the rules at
            https://www.kaggle.com/c/tgs-salt-identification-challenge/rules, set the
            token), when the download fails, or when the counts are wrong.

    Example:
        Not run by the doctests: it downloads 450 MB and needs credentials.

        >>> root = download_tgs("data/tgs")  # doctest: +SKIP
    """
    if client not in CLIENTS:
        raise bad_input("client", repr(client), f"one of {', '.join(map(repr, CLIENTS))}",
                        "Use client='auto' (kagglehub if installed, else kaggle).")
    dest = Path(dest)
    say = log or (lambda line: None)
    if _complete(dest, expected_counts):
        say(f"{dest} holds the TGS Salt data already: nothing to download")
        return dest
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise bad_input(f"TGS folder '{dest}'", "a file" if not dest.is_dir() else "a folder that is not empty",
                        "a new or empty folder", "Pick another folder, or delete this one first.")
    atomic.ensure_writable(dest.parent)
    made = atomic.missing_folders(dest.parent)
    dest.parent.mkdir(parents=True, exist_ok=True)
    copied = _colab_secrets_to_environment()
    if copied:
        say(f"using the Colab secrets {', '.join(copied)}")
    say(f"downloading '{COMPETITION}' from Kaggle (about 450 MB) …")
    try:
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.download-") as download:
            source = _download(client, Path(download))
            unpack_tgs(source, dest, expected_counts=expected_counts)
    except BaseException:  # refused, interrupted or incomplete: leave the user's tree as it was found
        atomic.remove_empty_folders(made)
        raise
    counts = _counts(dest)
    say(f"unpacked into {dest}: {counts['train/images']:,} training images and masks, "
        f"{counts['test/images']:,} test images")
    return dest
