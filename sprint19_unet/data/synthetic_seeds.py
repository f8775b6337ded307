"""One random generator per generated image, shared by the synthetic data generators.

:mod:`~sprint19_unet.data.synthetic_salt` and :mod:`~sprint19_unet.data.synthetic_scenes`
generate every image from its own child seed (``np.random.SeedSequence(seed).spawn(n)``),
so image ``i`` is the same whatever ``n`` is: ``make_salt_dataset(10)[0][:5]`` equals
``make_salt_dataset(5)[0]``.

Example:
    >>> first_three = [rng.random() for rng in child_generators(0, 3)]
    >>> first_three == [rng.random() for rng in child_generators(0, 5)][:3]
    True
"""

from __future__ import annotations

import numpy as np

from sprint19_unet.errors import check_int


def check_seed(seed) -> int:
    """A generator's ``seed`` argument, checked: a non-negative integer."""
    return check_int("seed", seed, 0, "Pass a non-negative integer seed, e.g. seed=0.")


def child_generators(seed, n: int) -> list:
    """One independent generator per sample, so sample i does not depend on n.

    ``seed`` is an integer or a list of integers (``[seed, stream]`` gives an
    independent stream, e.g. the test images of
    :func:`~sprint19_unet.data.synthetic_salt.write_salt_sample`).
    """
    return [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(n)]
