"""The live view callback draws images, truth and current predictions after each epoch."""

import numpy as np

from sprint19_unet.live import LivePredictions
from sprint19_unet.model import build_unet


def test_live_view_draws_one_figure_per_epoch():
    figures = []
    images = np.random.default_rng(0).random((3, 32, 32, 1), dtype="float32")
    masks = (images > 0.5).astype("uint8")
    model = build_unet((32, 32, 1), base_filters=4, depth=2)
    model.compile("adam", "binary_crossentropy")
    view = LivePredictions(images, masks, display=lambda figure: figures.append(
        (figure._suptitle.get_text(), len(figure.axes))))
    model.fit(images, masks.astype("float32"), epochs=2, verbose=0, callbacks=[view])
    assert figures == [("epoch 1", 9), ("epoch 2", 9)]
