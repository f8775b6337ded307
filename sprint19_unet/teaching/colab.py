"""The notebooks' set-up report: versions that must be new enough, and whether a GPU is visible.

Every notebook's first code cell installs the package on Colab when it is missing (that part
has to live in the cell: the package is not there yet), then calls :func:`report`::

    import sprint19_unet as s19
    s19.colab.report()

which refuses Keras 2 (it cannot run this code) and, when Keras runs on TensorFlow, a TensorFlow
older than the release line of requirements.txt's bound (2.16, the first built for Keras 3) — the
bounds are read from :func:`sprint19_unet.versions.minimums`, stated once — and prints two lines: the versions,
and whether the backend sees a GPU. Nothing here installs anything; the course's copy of the
package is named in the cell's ``SPRINT19_UNET_SOURCE`` (see README.md, "Notebooks on Colab").
"""

from __future__ import annotations

import dataclasses
import sys

from sprint19_unet.errors import Sprint19Error
from sprint19_unet.versions import minimums, tensorflow_version, version_tuple


def on_colab() -> bool:
    """True inside a Google Colab runtime (its ``google.colab`` module is loaded).

    Example:
        >>> on_colab()
        False
    """
    return "google.colab" in sys.modules


def check_versions(keras_version: str, backend: str, tensorflow_version: str | None) -> None:
    """Refuse a Keras or TensorFlow too old for this package, saying what to do.

    Args:
        keras_version: ``keras.__version__``.
        backend: ``keras.backend.backend()``.
        tensorflow_version: TensorFlow's version, or None when it is not installed.

    Raises:
        Sprint19Error: a Keras older than the major version of requirements.txt's bound (3), or
            the TensorFlow backend with a TensorFlow older than its bound's release line (2.16).

    Example:
        >>> check_versions("3.15.0", "tensorflow", "2.21.0")
        >>> check_versions("2.15.0", "tensorflow", "2.15.1")
        Traceback (most recent call last):
        ...
        sprint19_unet.errors.Sprint19Error: Keras: expected version 3... or newer; received 2.15.0. ...
    """
    tested = minimums()  # requirements.txt's bounds, stated there only: Keras's major version and
    # TensorFlow's release line are refused below them (an older patch release only warns, at import)
    if "keras" in tested and version_tuple(keras_version)[:1] < version_tuple(tested["keras"])[:1]:
        raise Sprint19Error(
            f"Keras: expected version {tested['keras']} or newer; received {keras_version}. sprint19_unet is written "
            f"for Keras 3: install it with `pip install -U 'keras>={tested['keras']}'` and restart the kernel "
            "(on Colab: Runtime → Restart session)."
        )
    if backend != "tensorflow" or "tensorflow" not in tested:
        return
    line = ".".join(map(str, version_tuple(tested["tensorflow"])[:2]))
    if tensorflow_version is None:
        raise Sprint19Error(
            f"TensorFlow: expected version {line} or newer for Keras's TensorFlow backend; received none "
            f"installed. Install it (`pip install 'tensorflow>={tested['tensorflow']}'`) or choose another backend "
            "with KERAS_BACKEND=jax or torch."
        )
    if version_tuple(tensorflow_version)[:2] < version_tuple(line):
        raise Sprint19Error(
            f"TensorFlow: expected version {line} or newer (the first built for Keras 3); received "
            f"{tensorflow_version}. Upgrade it (`pip install -U 'tensorflow>={tested['tensorflow']}'`) and restart "
            "the kernel."
        )


def visible_gpus(backend: str) -> list[str]:
    """The names of the GPUs the Keras backend sees (empty on a CPU-only machine).

    Args:
        backend: ``"tensorflow"``, ``"jax"`` or ``"torch"``.

    Returns:
        Device names, e.g. ``["/physical_device:GPU:0"]``.
    """
    if backend == "tensorflow":
        import tensorflow as tf

        return [gpu.name for gpu in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [str(device) for device in jax.devices() if device.platform == "gpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


@dataclasses.dataclass(frozen=True)
class Environment:
    """What :func:`report` found.

    Args:
        package: sprint19_unet's version.
        keras: Keras's version.
        backend: the Keras backend's name.
        tensorflow: TensorFlow's version, or None when it is not installed.
        gpus: the GPUs the backend sees.
        colab: whether this is a Colab runtime.
    """

    package: str
    keras: str
    backend: str
    tensorflow: str | None
    gpus: tuple[str, ...]
    colab: bool

    def _ipython_display_(self) -> None:
        """Show nothing in a notebook: :func:`report` has printed its lines already."""

    def lines(self) -> list[str]:
        """The two lines :func:`report` prints.

        Example:
            >>> env = Environment("0.1.0", "3.15.0", "tensorflow", "2.21.0", (), False)
            >>> print("\\n".join(env.lines()))
            sprint19_unet 0.1.0 · Keras 3.15.0 · backend tensorflow · TensorFlow 2.21.0
            GPU: none visible, so models train on the CPU (fine for these notebooks)
        """
        versions = f"sprint19_unet {self.package} · Keras {self.keras} · backend {self.backend}"
        if self.tensorflow is not None:
            versions += f" · TensorFlow {self.tensorflow}"
        if self.gpus:
            gpu = f"GPU: {len(self.gpus)} visible ({', '.join(self.gpus)})"
        else:
            gpu = "GPU: none visible, so models train on the CPU (fine for these notebooks)"
            if self.colab:
                gpu += "; for a GPU: Runtime → Change runtime type → GPU, then run the notebook again"
        return [versions, gpu]


def report(show: bool = True) -> Environment:
    """Check the versions, print them and whether a GPU is visible.

    Args:
        show: print the two lines (the notebooks' first cell); False only returns them.

    Returns:
        The :class:`Environment` found.

    Raises:
        Sprint19Error: Keras older than 3, or TensorFlow older than 2.16 with Keras on TensorFlow.

    Example:
        >>> version_tuple(report(show=False).keras) >= (3, 0)
        True
    """
    import keras

    import sprint19_unet

    backend = keras.backend.backend()
    tensorflow = tensorflow_version()
    check_versions(keras.__version__, backend, tensorflow)
    environment = Environment(sprint19_unet.__version__, keras.__version__, backend, tensorflow,
                              tuple(visible_gpus(backend)), on_colab())
    if show:
        print("\n".join(environment.lines()))
    return environment
