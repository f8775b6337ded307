"""How many augmented images per second can this machine prepare? (issue 3)

Times ``SegmentationBatches[i]`` (the work ``model.fit`` asks for every step) for
batches of 16 at 128×128 and 512×512: without augmentation, with each transform
alone (probability 1, so the worst case), with all of them (probability 1), and
with the default ``AugmentConfig()`` (probabilities 0.5). Each figure is the
median of several timed repeats after a warm-up, in images per second, on one
core (workers=1).

For comparison it also times training steps of a small U-Net
(``build_unet((128, 128, 1), base_filters=16)``, batch 16): augmentation keeps
up when it prepares images faster than the model consumes them.

Usage:
    python benchmarks/augment_throughput.py              # about a minute on 2 cores
    python benchmarks/augment_throughput.py --repeats 3 --no-model
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy import ndimage  # noqa: E402

import sprint19_unet  # noqa: E402
from sprint19_unet.data.augment import TRANSFORMS, AugmentConfig  # noqa: E402
from sprint19_unet.training.batches import SegmentationBatches  # noqa: E402

# Each timed repeat runs whole batches for at least this long, so fast rows are not noise.
MIN_REPEAT_SECONDS = 0.2


def smooth_data(count: int, side: int, seed: int = 0):
    """Smooth random images in [0, 1] and their thresholded masks, like salt bodies."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(count, side, side, 1)).astype("float32")
    smooth = ndimage.gaussian_filter(noise, sigma=(0, side / 16, side / 16, 0), mode="wrap")
    low = smooth.min(axis=(1, 2, 3), keepdims=True)
    high = smooth.max(axis=(1, 2, 3), keepdims=True)
    images = ((smooth - low) / (high - low)).astype("float32")
    return images, (images > 0.5).astype("uint8")


def median_seconds(step, repeats: int) -> float:
    """Median seconds per call of ``step()``, after one warm-up call."""
    start = time.perf_counter()
    step()
    warm_up = time.perf_counter() - start
    calls = max(1, math.ceil(MIN_REPEAT_SECONDS / max(warm_up, 1e-6)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            step()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def batch_throughput(images, masks, config, batch_size: int, repeats: int) -> float:
    """Images per second for SegmentationBatches with the given augmentation."""
    batches = SegmentationBatches(images, masks, batch_size=batch_size, augment=config, seed=0)
    counter = iter(range(10**9))

    def step():
        batches[next(counter) % len(batches)]

    return batch_size / median_seconds(step, repeats)


def unet_training_throughput(batch_size: int, repeats: int) -> float:
    """Images per second of train_on_batch for a base-16 U-Net at 128×128."""
    model = sprint19_unet.build_unet((128, 128, 1), base_filters=16)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    images, masks = smooth_data(batch_size, 128)
    masks = masks.astype("float32")
    return batch_size / median_seconds(lambda: model.train_on_batch(images, masks), repeats)


def configs():
    """(row name, AugmentConfig or None) in table order."""
    rows = [("none (no augmentation)", None)]
    rows += [(f"{name} only", AugmentConfig.only(name)) for name in TRANSFORMS]
    rows += [("all five", AugmentConfig.only(*TRANSFORMS)), ("default AugmentConfig()", AugmentConfig())]
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 512], help="image side lengths")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats; the median is reported")
    parser.add_argument("--no-model", action="store_true", help="skip timing the U-Net training step")
    args = parser.parse_args(argv)

    print(
        f"# {datetime.date.today().isoformat()} | {platform.platform()}"
        f" | {platform.processor() or platform.machine()}"
        f" | CPUs: {os.cpu_count()} | Python {platform.python_version()} | numpy {np.__version__}"
        f" | scipy {scipy.__version__} | keras {keras.__version__} ({keras.backend.backend()})"
        f" | sprint19_unet {sprint19_unet.__version__}"
    )
    print(f"# batch {args.batch_size}, median of {args.repeats} repeats after a warm-up, workers=1, images/s")
    data = {size: smooth_data(args.batch_size * 4, size) for size in args.sizes}
    header = "| augmentation | " + " | ".join(f"{s}×{s} (img/s)" for s in args.sizes) + " |"
    print(header)
    print("|" + "---|" * (len(args.sizes) + 1))
    for name, config in configs():
        cells = [
            f"{batch_throughput(*data[size], config, args.batch_size, args.repeats):,.0f}" for size in args.sizes
        ]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    if not args.no_model:
        rate = unet_training_throughput(args.batch_size, args.repeats)
        print(f"\nU-Net training for comparison: build_unet((128, 128, 1), base_filters=16), "
              f"batch {args.batch_size}, train_on_batch: {rate:.1f} img/s")


if __name__ == "__main__":
    main()
