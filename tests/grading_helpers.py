"""Notebooks for the grading tests, written here: an honest Problem 2 solution, the untouched template, cheats.

The honest cells use NumPy only (no ``import sprint19_unet``), so their kernels start in about a
second; the grader loads its questions into a kernel without importing the package either.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import sprint19_unet as s19
from cli_helpers import run_cli

MARKER = "sprint19-redteam-marker"  # in the command line of every process a test notebook leaves behind

ANSWERS = {
    "weight_map": "The weight map balances the classes and makes the network learn the thin borders between "
                  "touching cells: those pixels are few, so without a large weight two cells would merge.",
    "augmentation": "The paper relies most on elastic deformations; tissue deforms that way, so the deformed "
                    "images are realistic new examples and thirty annotated images are enough to learn from.",
    "overlap_tile": "Unpadded convolutions make the output smaller than the input, so only pixels with full "
                    "context are predicted; overlap-tile predicts tile by tile with mirrored context at the border.",
}

HONEST_PROBLEM2 = [
    "import numpy as np",
    "def valid_output_size(input_size):\n"
    "    size = input_size\n"
    "    for _ in range(4):\n"
    "        size = (size - 4) // 2\n"
    "    size -= 4\n"
    "    for _ in range(4):\n"
    "        size = size * 2 - 4\n"
    "    return size",
    "def copy_and_crop(features, upsampled):\n"
    "    top = (features.shape[1] - upsampled.shape[1]) // 2\n"
    "    left = (features.shape[2] - upsampled.shape[2]) // 2\n"
    "    centre = features[:, top:top + upsampled.shape[1], left:left + upsampled.shape[2]]\n"
    "    return np.concatenate([centre, upsampled], axis=-1)",
    "def count_unet_parameters(input_channels, base_filters, depth, num_classes):\n"
    "    def conv(k, c_in, c_out):\n"
    "        return k * k * c_in * c_out + c_out\n"
    "    channels = [base_filters * 2**level for level in range(depth + 1)]\n"
    "    total, c_in = 0, input_channels\n"
    "    for c_out in channels:\n"
    "        total += conv(3, c_in, c_out) + conv(3, c_out, c_out)\n"
    "        c_in = c_out\n"
    "    for c_out in reversed(channels[:-1]):\n"
    "        total += conv(2, c_in, c_out) + conv(3, 2 * c_out, c_out) + conv(3, c_out, c_out)\n"
    "        c_in = c_out\n"
    "    return total + conv(1, c_in, num_classes)",
    "def transposed_conv(x, kernel, stride):\n"
    "    out = np.zeros(((x.shape[0] - 1) * stride + kernel.shape[0], (x.shape[1] - 1) * stride + kernel.shape[1]))\n"
    "    for row in range(x.shape[0]):\n"
    "        for column in range(x.shape[1]):\n"
    "            out[row * stride:row * stride + kernel.shape[0],\n"
    "                column * stride:column * stride + kernel.shape[1]] += x[row, column] * kernel\n"
    "    return out",
    *(f"{question}_answer = {text!r}" for question, text in ANSWERS.items()),
]

TEMPLATE_PROBLEM2 = [
    "import numpy as np",
    "def valid_output_size(input_size):\n    raise NotImplementedError()",
    "def copy_and_crop(features, upsampled):\n    raise NotImplementedError()",
    "def count_unet_parameters(input_channels, base_filters, depth, num_classes):\n    raise NotImplementedError()",
    "def transposed_conv(x, kernel, stride):\n    raise NotImplementedError()",
    *(f'{question}_answer = """\nYOUR ANSWER HERE\n"""' for question in ANSWERS),
]


def write_notebook(path: Path, *cells: str, assignment: str | None = "problem2", metadata=None) -> Path:
    """A notebook of a Markdown title and these code cells; ``sprint19.assignment`` in its metadata unless None."""
    notebook = new_notebook(cells=[new_markdown_cell("# Exercises")] + [new_code_cell(cell) for cell in cells])
    if metadata is not None:
        notebook.metadata["sprint19"] = metadata
    elif assignment:
        notebook.metadata["sprint19"] = {"assignment": assignment}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def kernels_import_this_checkout(monkeypatch) -> None:
    """The kernels run in temporary folders: make them import the package under test."""
    here = str(Path(s19.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")])))


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def grade(submissions: Path, out: Path, *options) -> tuple:
    """``python -m sprint19_unet grade`` in this process; (exit code, stdout, rows by (student, exercise), rows)."""
    result = run_cli("grade", submissions, "--out", out, *options)
    rows = read_csv(out) if out.exists() else []
    return result.returncode, result.stdout + result.stderr, {(row["student"], row["exercise"]): row for row in rows}, rows


def survivors(marker: str = MARKER) -> list[str]:
    """Command lines of processes a test left behind: they carry :data:`MARKER` (a kernel: its room's name)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if marker in command and "pytest" not in command:
            found.append(f"{entry}: {command[:120]}")
    return found
