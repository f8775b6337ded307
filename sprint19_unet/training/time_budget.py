"""Training to a wall-clock budget: measure the speed, plan the epochs, stop in time.

The live demo must end within its minute on a fast workstation and on a laptop ten
times slower alike. So instead of a fixed number of epochs it

1. measures how many images per second *this* machine trains the model at
   (:func:`measure_training_speed`, a few steps after one warm-up step),
2. plans the images per epoch and the epochs that fit the seconds left
   (:func:`plan_training`; a cosine schedule then spans exactly those steps), and
3. stops at the deadline whatever happens (:class:`StopAtDeadline`: before an
   epoch that would not fit, or in the middle of one when the time is up).

Example:
    >>> plan = plan_training(30.0, images_per_second=100.0, seconds_per_epoch=0.5)
    >>> plan.samples_per_epoch, plan.epochs
    (240, 10)
"""

from __future__ import annotations

import dataclasses
import math
import time

import keras
import numpy as np

from sprint19_unet.errors import bad_input, is_integer


@dataclasses.dataclass(frozen=True)
class TrainingPlan:
    """What fits into a budget: images per epoch and epochs.

    Args:
        samples_per_epoch: training images (tiles) per epoch.
        epochs: number of epochs.
        seconds: the planned training time (steps and per-epoch overhead).
        images_per_second: the measured training speed the plan is based on.
    """

    samples_per_epoch: int
    epochs: int
    seconds: float
    images_per_second: float

    @property
    def samples(self) -> int:
        """Training images seen in all (``samples_per_epoch × epochs``)."""
        return self.samples_per_epoch * self.epochs

    def describe(self) -> str:
        """One line for the terminal.

        Example:
            >>> TrainingPlan(240, 10, 29.0, 100.0).describe()
            'measured 100 images/s: 10 epochs of 240 images (2,400 in all) fit in 29 s'
        """
        return (
            f"measured {self.images_per_second:.0f} images/s: {self.epochs} epochs of {self.samples_per_epoch} images "
            f"({self.samples:,} in all) fit in {self.seconds:.0f} s"
        )


def plan_training(
    seconds: float,
    images_per_second: float,
    *,
    epochs: int = 10,
    min_epochs: int = 3,
    min_samples: int = 64,
    max_samples: int = 480,
    max_epochs: int = 30,
    seconds_per_epoch: float = 0.5,
    overhead_share: float = 0.25,
    batch_size: int = 16,
) -> TrainingPlan:
    """Plan images per epoch and epochs so that training takes at most ``seconds``.

    Every epoch costs ``seconds_per_epoch`` besides its steps (validation, checkpoint,
    live figure), so the plan first picks as many epochs as keep that overhead within
    ``overhead_share`` of the time (between ``min_epochs`` and ``epochs``: one live
    redraw each), then fits the images per epoch to the time. When ``max_samples`` per
    epoch leave time over, it trains more epochs (up to ``max_epochs``); when even
    ``min_samples`` do not fit, fewer (at least one). Images per epoch are a multiple of
    ``batch_size``.

    Args:
        seconds: training time available (after start-up, data and warm-up).
        images_per_second: measured training speed (:func:`measure_training_speed`).
        epochs: the most epochs preferred (live redraws).
        min_epochs: the fewest epochs preferred while the images per epoch fit.
        min_samples: fewest images per epoch worth an epoch.
        max_samples: most images per epoch (the training set).
        max_epochs: most epochs, however fast the machine.
        seconds_per_epoch: fixed cost of an epoch besides its steps.
        overhead_share: the share of ``seconds`` the per-epoch costs may take.
        batch_size: images per step.

    Returns:
        A :class:`TrainingPlan` (at least one epoch of ``min_samples``, even when
        that does not fit: the deadline then stops it).

    Raises:
        Sprint19Error: for a non-positive speed or inconsistent limits.

    Example:
        >>> plan_training(600.0, 100.0).epochs  # a fast machine trains longer
        30
        >>> plan_training(5.0, 20.0).epochs     # a slow one fewer, smaller epochs
        1
    """
    if not images_per_second > 0 or not math.isfinite(images_per_second):
        raise bad_input("images_per_second", repr(images_per_second), "a positive number",
                        "Measure it with measure_training_speed(model).")
    if not (1 <= min_epochs <= epochs <= max_epochs and 1 <= min_samples <= max_samples and batch_size >= 1):
        raise bad_input(
            "plan limits", f"min_epochs={min_epochs}, epochs={epochs}, max_epochs={max_epochs}, "
            f"min_samples={min_samples}, max_samples={max_samples}, batch_size={batch_size}",
            "1 ≤ min_epochs ≤ epochs ≤ max_epochs, 1 ≤ min_samples ≤ max_samples, batch_size ≥ 1",
            "Pass consistent limits.",
        )
    seconds = max(float(seconds), 0.0)

    def epoch_seconds(samples: int) -> float:
        return samples / images_per_second + seconds_per_epoch

    def clamp(value, low, high):
        return int(min(max(value, low), high))

    planned_epochs = clamp(overhead_share * seconds // max(seconds_per_epoch, 1e-9), min_epochs, epochs)
    samples = clamp((seconds / planned_epochs - seconds_per_epoch) * images_per_second // batch_size * batch_size,
                    min_samples, max_samples)
    if samples == max_samples:  # time to spare: more epochs
        planned_epochs = clamp(seconds // epoch_seconds(samples), planned_epochs, max_epochs)
    elif samples == min_samples:  # not even the smallest epochs: fewer of them
        planned_epochs = clamp(seconds // epoch_seconds(samples), 1, planned_epochs)
    return TrainingPlan(samples, planned_epochs, planned_epochs * epoch_seconds(samples), float(images_per_second))


def measure_training_speed(model: keras.Model, batch_size: int = 16, steps: int = 3, seed: int = 0) -> tuple[float, float]:
    """Training images per second of a compiled ``model`` on this machine.

    One warm-up step (tracing, compiling, allocating) is timed apart, then ``steps``
    steps on random images of the model's input size. The model's weights change;
    measure on a throwaway copy built like the real one.

    Args:
        model: a compiled Keras model with a fixed input size.
        batch_size: images per step, as in training.
        steps: timed steps after the warm-up.
        seed: seed of the random batch.

    Returns:
        ``(images_per_second, warm_up_seconds)``.

    Raises:
        Sprint19Error: for a model without a fixed input size, or ``steps`` < 1.

    Example:
        >>> from sprint19_unet.training.fit import build_and_compile
        >>> from sprint19_unet.training.config import TrainConfig
        >>> model = build_and_compile(TrainConfig(input_size=32, base_filters=4, depth=2), 1)
        >>> speed, warm_up = measure_training_speed(model, batch_size=2, steps=1)
        >>> speed > 0
        True
    """
    shape = model.input_shape[1:]
    if any(size is None for size in shape):
        raise bad_input("model", f"input shape {model.input_shape}", "a fixed input size",
                        "Build the model with an input_size.")
    if not is_integer(steps) or steps < 1:
        raise bad_input("steps", repr(steps), "an integer ≥ 1", "Use steps=3.")
    random = np.random.default_rng(seed)
    images = random.random((batch_size, *shape), dtype=np.float32)
    targets = (random.random((batch_size, *model.output_shape[1:])) > 0.5).astype("float32")
    start = time.perf_counter()
    model.train_on_batch(images, targets)
    warm_up = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(images, targets)
    return batch_size * steps / (time.perf_counter() - start), warm_up


class StopAtDeadline(keras.callbacks.Callback):
    """Stop training at a wall-clock deadline: before an epoch that would not fit, or inside one.

    After each epoch, the next one is started only if the last epoch's duration still
    fits before ``deadline``; during an epoch, training stops after the step that
    reaches it (Keras still validates that epoch). ``stopped`` says which happened.

    Args:
        deadline: ``time.perf_counter()`` value by which training must end.
        warm_up: seconds of the first epoch spent once only (graph tracing: the
            ``warm_up`` of :func:`measure_training_speed`), not expected of the next.

    Example:
        >>> callback = StopAtDeadline(time.perf_counter() + 60)
        >>> callback.stopped is None
        True
    """

    def __init__(self, deadline: float, warm_up: float = 0.0):
        super().__init__()
        self.deadline = float(deadline)
        self.warm_up = float(warm_up)
        self.stopped = None  # None, "between epochs" or "within an epoch"
        self._epoch_start = None
        self._epochs_seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() >= self.deadline:
            self.stopped = "within an epoch"
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        last_epoch = epoch + 1 >= self.params.get("epochs", epoch + 1)
        next_epoch = now - self._epoch_start - (0.0 if self._epochs_seen else self.warm_up)
        self._epochs_seen += 1
        if self.stopped is None and not last_epoch and now + next_epoch > self.deadline:
            self.stopped = "between epochs"
            self.model.stop_training = True
