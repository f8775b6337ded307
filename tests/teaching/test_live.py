"""The live view callback draws images, truth and current predictions after each epoch."""

import numpy as np
import pytest

from sprint19_unet.teaching.live import LivePredictions
from sprint19_unet.training.metrics import ThresholdedIoU
from sprint19_unet.unet.model import build_unet


@pytest.mark.slow
def test_live_view_redraws_one_figure_per_epoch_with_the_curves_so_far():
    drawings = []
    images = np.random.default_rng(0).random((3, 32, 32, 1), dtype="float32")
    masks = (images > 0.5).astype("uint8")
    model = build_unet((32, 32, 1), base_filters=4, depth=2)
    model.compile("adam", "binary_crossentropy", metrics=[ThresholdedIoU()])
    view = LivePredictions(images, masks, display=lambda figure: drawings.append(
        (figure, figure.get_suptitle(), len(figure.axes[0].get_lines()[0].get_ydata()))))
    model.fit(images, masks.astype("float32"), validation_data=(images, masks.astype("float32")),
              epochs=3, verbose=0, callbacks=[view])
    assert [drawing[1:] for drawing in drawings] == [("epoch 1 of 3", 1), ("epoch 2 of 3", 2), ("epoch 3 of 3", 3)]
    assert len({id(drawing[0]) for drawing in drawings}) == 1  # one figure, redrawn
    assert sorted(view.history) == ["iou", "loss", "val_iou", "val_loss"]
    assert len(view.seconds) == 3 and all(seconds > 0 for seconds in view.seconds)
    iou_axis = drawings[-1][0].axes[1]
    assert [len(line.get_ydata()) for line in iou_axis.get_lines()] == [3, 3]  # training and validation


def test_snapshots_keep_png_bytes_of_each_drawing():
    from sprint19_unet.teaching.live import FigureSnapshots

    snapshots = FigureSnapshots()
    snapshots(_figure())
    snapshots(_figure())
    assert len(snapshots.pngs) == 2 and all(png.startswith(b"\x89PNG") for png in snapshots.pngs)


def _figure():
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(2, 1))
    axis.plot([0, 1], [0, 1])
    return figure


def test_no_window_without_a_screen():
    from sprint19_unet.teaching.live import display_available

    assert display_available() is False  # the tests run headless (MPLBACKEND=Agg)


def test_figure_files_are_numbered_per_epoch(tmp_path):
    from sprint19_unet.teaching.live import FigureFiles

    files = FigureFiles(tmp_path / "epochs")
    files(_figure())
    files(_figure())
    assert [p.name for p in files.paths] == ["epoch_01.png", "epoch_02.png"]
    assert all(p.stat().st_size > 500 for p in files.paths)


def test_figure_window_redraws_one_figure_and_closes_the_ones_it_is_given():
    import matplotlib.pyplot as plt

    from sprint19_unet.teaching.live import FigureWindow

    plt.close("all")
    window = FigureWindow()
    window(_figure())
    window(_figure())
    assert window.updates == 2
    assert plt.get_fignums() == [window._figure.number]  # one window, not one per epoch
    window.close()
    assert plt.get_fignums() == []
    window(_figure())  # closed by the user: no more redraws, no error
    assert window.updates == 2
