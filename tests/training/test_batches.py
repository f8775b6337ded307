"""Batches for model.fit (sprint19_unet.training.batches): shapes, coverage, order and determinism."""

import numpy as np
import pytest

from sprint19_unet.data.augment import AugmentConfig
from sprint19_unet.training.batches import SegmentationBatches
from sprint19_unet.errors import Sprint19Error


def tagged_data(count=10, side=8):
    """Images whose every pixel holds the sample number / 100, and masks of zeros and ones."""
    images = np.broadcast_to((np.arange(count) / 100.0)[:, None, None, None], (count, side, side, 1)).copy()
    masks = (np.arange(count) % 2).astype("uint8")[:, None, None] * np.ones((1, side, side), dtype="uint8")
    return images.astype("float32"), masks


def sample_ids(image_batch):
    return np.rint(image_batch[:, 0, 0, 0] * 100).astype(int).tolist()


def epoch_ids(batches):
    return [i for index in range(len(batches)) for i in sample_ids(batches[index][0])]


# === Shapes, dtypes, coverage ===


@pytest.mark.parametrize("drop_remainder, lengths", [(False, [4, 4, 2]), (True, [4, 4])])
def test_shapes_dtypes_and_batch_sizes(drop_remainder, lengths):
    images, masks = tagged_data()
    batches = SegmentationBatches(images, masks, batch_size=4, drop_remainder=drop_remainder)
    assert len(batches) == len(lengths)
    for index, length in enumerate(lengths):
        x, y = batches[index]
        assert x.shape == (length, 8, 8, 1) and y.shape == (length, 8, 8, 1)  # masks got a channel axis
        assert x.dtype == np.float32 and y.dtype == np.float32
    with pytest.raises(IndexError):
        batches[len(lengths)]


def test_every_sample_once_per_epoch_and_masks_stay_paired():
    images, masks = tagged_data(count=11)
    batches = SegmentationBatches(images, masks, batch_size=3, seed=5)
    for _ in range(3):
        assert sorted(epoch_ids(batches)) == list(range(11))
        for index in range(len(batches)):
            x, y = batches[index]
            np.testing.assert_array_equal(y[:, 0, 0, 0], np.array(sample_ids(x)) % 2)
        batches.on_epoch_end()
    assert batches.epoch == 3


def test_drop_remainder_leaves_out_a_different_few_each_epoch():
    images, masks = tagged_data(count=10)
    batches = SegmentationBatches(images, masks, batch_size=4, drop_remainder=True, seed=0)
    seen = set()
    for _ in range(6):
        ids = epoch_ids(batches)
        assert len(ids) == 8 and len(set(ids)) == 8
        seen |= set(ids)
        batches.on_epoch_end()
    assert seen == set(range(10))


# === Order: new every epoch, the same for the same seed ===


def test_order_changes_per_epoch_and_repeats_per_seed():
    images, masks = tagged_data(count=20)
    a = SegmentationBatches(images, masks, batch_size=4, seed=1)
    b = SegmentationBatches(images, masks, batch_size=4, seed=1)
    c = SegmentationBatches(images, masks, batch_size=4, seed=2)
    first = epoch_ids(a)
    assert first == epoch_ids(b)
    assert first != epoch_ids(c)
    a.on_epoch_end()
    assert epoch_ids(a) != first
    a.set_epoch(0)
    assert epoch_ids(a) == first


def test_no_shuffle_keeps_the_order():
    images, masks = tagged_data(count=7)
    batches = SegmentationBatches(images, masks, batch_size=3, shuffle=False)
    batches.on_epoch_end()
    assert epoch_ids(batches) == list(range(7))


def test_augmented_batches_do_not_depend_on_workers_or_call_order():
    rng = np.random.default_rng(0)
    images = rng.random((12, 16, 16, 1)).astype("float32")
    masks = (images > 0.5).astype("uint8")
    config = AugmentConfig.only("horizontal_flip", "affine", "elastic", "intensity", elastic_sigma=2.0)
    one = SegmentationBatches(images, masks, batch_size=4, augment=config, seed=3, workers=1)
    two = SegmentationBatches(images, masks, batch_size=4, augment=config, seed=3, workers=2)
    forwards = [one[i] for i in range(len(one))]
    backwards = [two[i] for i in reversed(range(len(two)))][::-1]
    for (x1, y1), (x2, y2) in zip(forwards, backwards):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    assert set(np.unique(forwards[0][1]).tolist()) <= {0.0, 1.0}
    one.on_epoch_end()
    assert not np.array_equal(one[0][0], forwards[0][0])  # new epoch, new augmentation


def test_workers_are_passed_to_pydataset():
    images, masks = tagged_data()
    batches = SegmentationBatches(images, masks, workers=2, use_multiprocessing=False, max_queue_size=4)
    assert (batches.workers, batches.use_multiprocessing, batches.max_queue_size) == (2, False, 4)
    assert SegmentationBatches(images, masks).workers == 1


def test_fit_with_two_worker_threads_advances_the_epoch():
    import keras

    images, masks = tagged_data(count=10, side=16)
    batches = SegmentationBatches(images, masks, batch_size=4, augment=AugmentConfig(), seed=0, workers=2)
    model = keras.Sequential(
        [keras.Input((16, 16, 1)), keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(batches, epochs=2, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 2
    assert batches.epoch >= 2


# === Errors ===


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"batch_size": 11, "drop_remainder": True}, "drop_remainder=True"),
        ({"augment": {"elastic": True}}, "augment"),
        ({"seed": -1}, "seed"),
        ({"shuffle": 1}, "shuffle"),
        ({"workers": 0}, "workers"),
    ],
)
def test_argument_errors(kwargs, match):
    images, masks = tagged_data()
    with pytest.raises(Sprint19Error, match=match):
        SegmentationBatches(images, masks, **kwargs)


def test_data_errors():
    images, masks = tagged_data()
    with pytest.raises(Sprint19Error, match="9 masks for 10 images"):
        SegmentationBatches(images, masks[:9])
    with pytest.raises(Sprint19Error, match="height and width"):
        SegmentationBatches(images, masks[:, :4])
    with pytest.raises(Sprint19Error, match="images"):
        SegmentationBatches(images[0, 0], masks)
    with pytest.raises(Sprint19Error, match="epoch"):
        SegmentationBatches(images, masks).set_epoch(-1)
