"""Training to a wall-clock budget: the plan fits, the deadline stops, the demo keeps its budget."""

import time

import numpy as np
import pytest

from sprint19_unet.training import time_budget
from sprint19_unet.training.config import TrainConfig
from sprint19_unet.errors import Sprint19Error
from sprint19_unet.unet.model import build_unet
from sprint19_unet.training.time_budget import StopAtDeadline, TrainingPlan, measure_training_speed, plan_training
from sprint19_unet.training.fit import build_and_compile


@pytest.mark.parametrize("speed", [5.0, 20.0, 80.0, 200.0, 2000.0])
@pytest.mark.parametrize("seconds", [10.0, 45.0, 120.0])
def test_the_plan_fits_its_seconds_whenever_the_smallest_epoch_does(speed, seconds):
    overhead = 0.5
    plan = plan_training(seconds, speed, epochs=10, min_samples=64, max_samples=480, seconds_per_epoch=overhead)
    assert plan.samples_per_epoch % 16 == 0 and 64 <= plan.samples_per_epoch <= 480
    assert 1 <= plan.epochs <= 30
    assert plan.seconds == pytest.approx(plan.epochs * (plan.samples_per_epoch / speed + overhead))
    if 64 / speed + overhead <= seconds:  # at least one smallest epoch fits
        assert plan.seconds <= seconds


def test_a_faster_machine_gets_more_training_never_less():
    samples = [plan_training(40.0, speed).samples for speed in (5, 10, 20, 40, 80, 160, 320, 640, 1280)]
    assert samples == sorted(samples)
    assert samples[0] < samples[-1]


def test_the_plan_keeps_the_preferred_epochs_while_the_images_per_epoch_can_adapt():
    plan = plan_training(30.0, images_per_second=100.0, epochs=10, seconds_per_epoch=0.5)
    assert (plan.samples_per_epoch, plan.epochs) == (240, 10)  # (30 / 10 − 0.5) × 100 = 250 → 240
    fast = plan_training(600.0, 100.0)  # 480 images per epoch and time to spare: more epochs, up to 30
    assert (fast.samples_per_epoch, fast.epochs) == (480, 30)
    slow = plan_training(5.0, 20.0)  # not even 10 epochs of 64 images: fewer epochs
    assert (slow.samples_per_epoch, slow.epochs) == (64, 1)


def test_costly_epochs_make_fewer_larger_epochs():
    # 1.1 s per epoch besides the steps would take 11 of 8 s in 10 epochs: 3 epochs of the whole set instead
    plan = plan_training(8.0, 400.0, epochs=10, min_epochs=3, seconds_per_epoch=1.1)
    assert (plan.samples_per_epoch, plan.epochs) == (480, 3)
    assert plan.seconds <= 8.0


def test_plan_refuses_a_bad_speed_or_limits():
    with pytest.raises(Sprint19Error, match="images_per_second.*positive"):
        plan_training(10.0, 0.0)
    with pytest.raises(Sprint19Error, match="plan limits.*min_epochs=5, epochs=4"):
        plan_training(10.0, 10.0, min_epochs=5, epochs=4)
    with pytest.raises(Sprint19Error, match="plan limits.*min_samples=500"):
        plan_training(10.0, 10.0, min_samples=500, max_samples=480)


def test_plan_describes_itself_in_one_line():
    assert TrainingPlan(240, 10, 29.0, 100.0).describe() == (
        "measured 100 images/s: 10 epochs of 240 images (2,400 in all) fit in 29 s"
    )


@pytest.mark.slow
def test_training_speed_is_measured_after_a_warm_up_step():
    model = build_and_compile(TrainConfig(input_size=32, base_filters=4, depth=2), 1)
    speed, warm_up = measure_training_speed(model, batch_size=4, steps=2)
    assert speed > 0 and warm_up > 0
    assert model.optimizer.iterations.numpy() == 3  # one warm-up and two timed steps


def test_training_speed_needs_a_fixed_input_size():
    model = build_unet((None, None, 1), base_filters=4, depth=2)
    model.compile("adam", "binary_crossentropy")
    with pytest.raises(Sprint19Error, match="fixed input size"):
        measure_training_speed(model)


def _tiny_fit(callback, epochs=3):
    images = np.random.default_rng(0).random((32, 16, 16, 1), dtype="float32")
    model = build_unet((16, 16, 1), base_filters=2, depth=1)
    model.compile("adam", "binary_crossentropy")
    history = model.fit(images, (images > 0.5).astype("float32"), batch_size=4, epochs=epochs, verbose=0,
                        callbacks=[callback])
    return len(history.history["loss"]), model.optimizer.iterations.numpy()


@pytest.mark.slow
def test_a_passed_deadline_stops_training_within_the_first_epoch():
    callback = StopAtDeadline(time.perf_counter() - 1)
    epochs, steps = _tiny_fit(callback)
    assert (epochs, steps, callback.stopped) == (1, 1, "within an epoch")


@pytest.mark.slow
def test_a_distant_deadline_lets_every_epoch_run():
    callback = StopAtDeadline(time.perf_counter() + 3600)
    epochs, steps = _tiny_fit(callback)
    assert (epochs, steps, callback.stopped) == (3, 24, None)


def _on_a_fake_clock(monkeypatch, epochs: int, **options) -> StopAtDeadline:
    """A StopAtDeadline whose every reading of the clock is 10 s after the last, on a stand-in model."""
    clock = iter(float(t) for t in range(0, 1000, 10))
    monkeypatch.setattr(time_budget.time, "perf_counter", lambda: next(clock))
    callback = StopAtDeadline(**options)

    class Model:
        stop_training = False

    callback.set_model(Model())
    callback.set_params({"epochs": epochs})
    return callback


def test_an_epoch_that_would_not_fit_is_not_started(monkeypatch):
    callback = _on_a_fake_clock(monkeypatch, epochs=5, deadline=25.0)
    callback.on_epoch_begin(0)  # t = 0
    callback.on_epoch_end(0)  # t = 10: the next epoch (10 s) would end at 20 ≤ 25: go on
    assert not callback.model.stop_training
    callback.on_epoch_begin(1)  # t = 20
    callback.on_epoch_end(1)  # t = 30 already past the deadline
    assert callback.model.stop_training and callback.stopped == "between epochs"


def test_the_last_planned_epoch_is_not_reported_as_a_stop(monkeypatch):
    callback = _on_a_fake_clock(monkeypatch, epochs=1, deadline=15.0)
    callback.on_epoch_begin(0)
    callback.on_epoch_end(0)
    assert callback.stopped is None and not callback.model.stop_training


def test_the_first_epochs_warm_up_is_not_expected_again(monkeypatch):
    callback = _on_a_fake_clock(monkeypatch, epochs=5, deadline=25.0, warm_up=8.0)
    callback.on_epoch_begin(0)  # t = 0
    callback.on_epoch_end(0)  # t = 10, of which 8 s tracing: the next epoch (2 s) ends at 12 ≤ 25
    assert not callback.model.stop_training
    callback.on_epoch_begin(1)  # t = 20
    callback.on_epoch_end(1)  # t = 30: a 10 s epoch no longer fits
    assert callback.stopped == "between epochs"
