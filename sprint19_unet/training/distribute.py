"""Data-parallel training on every visible device, with the active backend's own engine.

Data parallelism copies the model onto each device, splits every batch between
the copies, and averages their gradients before the one shared update; with the
same global batch it computes the same step as one device (up to the order of
floating-point sums). :func:`data_parallel` is a context manager: build,
compile and fit the model inside it (each backend's engine: see there).

``batch_size`` stays the *global* batch: with 2 devices and ``batch_size=16``
each device sees 8 images per step. Keep it a multiple of the device count.

Example:
    A sketch, not run by the doctests: ``config`` and ``batches`` are a training run's;
    tests/training/test_distribute.py trains on two CPU devices.
    >>> with data_parallel() as devices:        # doctest: +SKIP
    ...     model = build_and_compile(config, channels=1)
    ...     model.fit(batches, epochs=3)
"""

from __future__ import annotations

import contextlib

import keras

from sprint19_unet.errors import bad_input

SUPPORTED_BACKENDS = ("tensorflow", "jax")


def visible_devices() -> list[str]:
    """The devices data-parallel training would use on the active backend.

    GPUs when there are any, otherwise the (logical) CPUs.

    Returns:
        Device names, e.g. ``["/device:GPU:0", "/device:GPU:1"]`` on TensorFlow or
        ``["gpu:0", "gpu:1"]`` on JAX; one entry on a machine with one device.

    Raises:
        Sprint19Error: on a backend without data-parallel support (PyTorch).

    Example:
        >>> len(visible_devices()) >= 1
        True
    """
    backend = _checked_backend()
    if backend == "tensorflow":
        import tensorflow as tf  # only on the TensorFlow backend

        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return [device.name for device in devices]
    return list(keras.distribution.list_devices())


@contextlib.contextmanager
def data_parallel(enabled: bool = True):
    """Run the block data-parallel on all visible devices (a no-op when ``enabled`` is False).

    * **TensorFlow** — ``tf.distribute.MirroredStrategy`` over all GPUs (or all
      logical CPUs when there is no GPU); variables created in ``strategy.scope()``
      are mirrored, and ``fit`` splits each batch between the replicas.
    * **JAX** — ``keras.distribution.DataParallel`` over ``keras.distribution.list_devices()``,
      set as the global distribution for the duration of the block (variables are
      replicated, batches sharded along the batch axis); the previous distribution is
      restored afterwards.
    * **PyTorch** — Keras has no data-parallel engine for it; a clear error.

    TensorFlow is imported only when it is the active backend.

    Args:
        enabled: False makes this a plain ``nullcontext``, so callers can write
            ``with data_parallel(config.distribute):`` unconditionally.

    Yields:
        The list of device names used (empty when not enabled).

    Raises:
        Sprint19Error: when enabled on a backend without data-parallel support.

    Example:
        >>> with data_parallel(False) as devices:
        ...     devices
        []
    """
    if not enabled:
        yield []
        return
    devices = visible_devices()
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # only on the TensorFlow backend

        strategy = tf.distribute.MirroredStrategy(devices)
        with strategy.scope():
            yield devices
        return
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    try:
        yield devices
    finally:
        keras.distribution.set_distribution(previous)


def check_global_batch_size(batch_size: int, replicas: int) -> None:
    """Refuse a global batch that does not split evenly between the devices.

    Raises:
        Sprint19Error: when ``batch_size`` is not a multiple of ``replicas``.

    Example:
        >>> check_global_batch_size(16, replicas=2)
    """
    if batch_size % replicas:
        multiple = max(replicas, batch_size - batch_size % replicas)
        raise bad_input(
            "batch_size",
            f"{batch_size} for data-parallel training on {replicas} devices",
            f"a multiple of {replicas} (each device gets an equal share of the global batch)",
            f"Use batch_size={multiple} or {multiple + replicas}.",
        )


def evenly_split_count(count: int, batch_size: int, replicas: int) -> tuple[int, bool]:
    """How many samples to keep so that every batch splits evenly between the devices.

    JAX's data-parallel ``fit`` needs every batch, the last one included, to be
    a multiple of the device count (TensorFlow copes with an uneven last batch,
    but both backends get the same rule so their runs agree). For training data
    the last partial batch is dropped when it would not split; for validation
    data (evaluated whole) at most ``replicas − 1`` samples are left out.

    Args:
        count: samples in the set.
        batch_size: global batch size (a multiple of ``replicas``).
        replicas: devices.

    Returns:
        ``(samples_to_keep, drop_last_batch)``: the number of samples for a
        validation set, and whether a training set must drop its last batch.

    Example:
        >>> evenly_split_count(33, batch_size=8, replicas=2)   # last batch of 1 cannot split
        (32, True)
        >>> evenly_split_count(34, batch_size=8, replicas=2)
        (34, False)
    """
    remainder = count % batch_size
    keep = count - remainder % replicas
    return keep, remainder % replicas != 0


def _checked_backend() -> str:
    backend = keras.backend.backend()
    if backend not in SUPPORTED_BACKENDS:
        raise bad_input(
            "distribute",
            f"True on the {backend!r} backend",
            f"one of the backends with a data-parallel engine in Keras ({', '.join(SUPPORTED_BACKENDS)})",
            "Set KERAS_BACKEND=tensorflow or KERAS_BACKEND=jax, or train with distribute=False.",
        )
    return backend
