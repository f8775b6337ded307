"""Training's memory estimate (training/memory.py) against what training really uses, measured in a
child process; the refusal of a run that cannot fit is in tests/training/test_config_bounds.py."""

import json
import subprocess
import sys

import pytest

from tests.cli_helpers import ENV


# === The memory estimate against what training really uses ===

MEASURE = """
import json, sys
import sprint19_unet as s19
from sprint19_unet.training.fit import train
from sprint19_unet.training.memory import estimate_training_memory

def status(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(field + ":"))

config = s19.TrainConfig(**json.loads(sys.argv[1]), epochs=1, early_stopping_patience=0, reduce_lr_patience=0,
                         augment=False, output_dir=sys.argv[2])
data = s19.load_dataset("synthetic", "train", num_samples=config.num_samples)
before = status("VmRSS")
try:  # the peak of training alone: reset the high-water mark, so that a spike while importing does not count
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
except OSError:
    pass  # then the process's peak, which is at least training's
train(config, data=data, verbose=0)
peak = max(status("VmHWM"), status("VmRSS"))
print(json.dumps([peak - before, estimate_training_memory(config, generated_data=False).total]))
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("fields", [  # not the three runs ACTIVATION_COPIES was set from
    {"input_size": 192, "base_filters": 16, "depth": 3, "batch_size": 8, "num_samples": 30, "batch_norm": False},
    {"input_size": 128, "base_filters": 24, "depth": 2, "batch_size": 24, "num_samples": 50, "batch_norm": True},
])
def test_the_estimate_is_within_twice_the_measured_peak(tmp_path, fields):
    child = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(fields), str(tmp_path / "run")],
                           capture_output=True, text=True, timeout=300, env=ENV)
    assert child.returncode == 0, child.stderr[-2000:]
    measured, estimated = json.loads(child.stdout.splitlines()[-1])
    assert measured / 2 <= estimated <= measured * 2, (measured / 2**20, estimated / 2**20)
