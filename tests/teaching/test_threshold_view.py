"""A threshold you can move (teaching/threshold_view.py): masks and scores at fixed thresholds, and the slider."""

import subprocess
import sys

import numpy as np
import pytest

from sprint19_unet.teaching.threshold_view import plot_thresholds, threshold_slider


def _case():
    truth = np.zeros((2, 8, 8, 1))
    truth[0, 2:6, 2:6] = 1  # image 0: a 4×4 square of salt; image 1: none
    probabilities = np.zeros((2, 8, 8, 1))
    probabilities[0, 2:6, 2:6] = 0.6
    probabilities[0, 2:6, 6] = 0.4  # a column of 4 more pixels, salt only at threshold 0.3: IoU 16/20
    probabilities[1, 0, 0] = 0.8  # one false pixel in the empty image, above every threshold
    return truth * 0.7, truth, probabilities


def test_each_threshold_is_a_column_titled_with_each_images_kaggle_score():
    images, truth, probabilities = _case()
    figure = plot_thresholds(images, truth, probabilities)
    titles = [axis.get_title() for axis in figure.axes]
    # IoU 16/20 = 0.8 is a hit for t = 0.50 … 0.75 (6 of 10): 0.6; exact at 0.5 and 0.7: 1.0; image 1: 0.0
    assert titles == ["image", "truth (white = salt)", "> 0.3\nscore 0.6", "> 0.5\nscore 1.0", "> 0.7\nscore 0.0",
                      "", "", "> 0.3\nscore 0.0", "> 0.5\nscore 0.0", "> 0.7\nscore 0.0"]
    assert figure.get_suptitle() == "Kaggle score, mean of these images: 0.30 at > 0.3, 0.50 at > 0.5, 0.00 at > 0.7"


def test_the_slider_redraws_at_the_threshold_it_is_set_to(capsys):
    pytest.importorskip("ipywidgets", reason="ipywidgets comes with the dev and notebooks extras")
    images, truth, probabilities = _case()
    slider = threshold_slider(images, truth, probabilities, start=0.3)
    control = slider.children[0]
    assert (control.description, control.value, control.min, control.max) == ("threshold", 0.3, 0.05, 0.95)
    control.value = 0.5  # moving it calls the redraw with the new threshold
    assert slider.kwargs == {"threshold": 0.5}


@pytest.mark.slow
def test_without_ipywidgets_the_slider_says_how_to_get_it_and_the_package_never_needs_it():
    code = ("import sys; sys.modules['ipywidgets'] = None\n"  # as if it were not installed
            "import numpy as np, sprint19_unet as s19\n"
            "from sprint19_unet.teaching.threshold_view import threshold_slider\n"
            "assert threshold_slider(np.zeros((1, 4, 4, 1)), np.zeros((1, 4, 4, 1)), np.zeros((1, 4, 4, 1))) is None\n")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr[-1500:]
    assert child.stdout.strip() == 'no slider: ipywidgets is not installed here (pip install -e ".[notebooks]", or pip install ipywidgets)'
