"""Training speed of the demo model on a CPU: every Keras backend and setting against a plain-PyTorch peer.

One row per process (a Keras backend, TensorFlow's oneDNN switch and its thread pools are
fixed when a process starts), all rows in one go, on the demo model (base 8, depth 3, no
BatchNorm, BCE + Dice, Adam, batch 16; ``--size`` 128 is the original demo's tile, 64 the
time-boxed demo's):

* Keras on TensorFlow: default; ``TF_ENABLE_ONEDNN_OPTS=0``; intra-/inter-op thread pools;
* Keras on JAX (jit) and on PyTorch, where installed (``--python`` adds interpreters to look in);
* the same network in plain PyTorch, NCHW and channels_last — the peer is channels_last.

Each row: ``--warmup`` untimed steps, then ``--steps`` steps timed one by one, the median
reported as training images/s, and the ratio to the peer. Random data, no input pipeline.
``--profile`` adds, for Keras on TensorFlow and for the peer, the time of one 3×3
convolution of each of the network's shapes forward and backward, to show where a gap is.

Usage:
    python benchmarks/cpu_backends.py [--size 128] [--steps 20] [--python .venv-backends/bin/python] [--profile]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu_throughput import importable, time_steps, torch_unet  # noqa: E402  (the peer network, shared)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BASE, DEPTH, BATCH = 8, 3, 16

# label → (module the row needs, KERAS_BACKEND or "" for plain PyTorch, extra environment, worker options)
ROWS = {
    "keras/tensorflow (default)": ("tensorflow", "tensorflow", {}, []),
    "keras/tensorflow, TF_ENABLE_ONEDNN_OPTS=0": ("tensorflow", "tensorflow", {"TF_ENABLE_ONEDNN_OPTS": "0"}, []),
    "keras/tensorflow, intra-op 2, inter-op 1": ("tensorflow", "tensorflow", {}, ["--intra", "2", "--inter", "1"]),
    "keras/tensorflow, intra-op 1, inter-op 2": ("tensorflow", "tensorflow", {}, ["--intra", "1", "--inter", "2"]),
    "keras/tensorflow, intra-op 1, inter-op 1": ("tensorflow", "tensorflow", {}, ["--intra", "1", "--inter", "1"]),
    "keras/jax (jit)": ("jax", "jax", {}, []),
    "keras/torch": ("torch", "torch", {}, []),
    "torch (plain, NCHW)": ("torch", "", {}, ["--nchw"]),
    "torch (plain, channels_last) — peer": ("torch", "", {}, []),
}
PEER = "torch (plain, channels_last) — peer"


def processor() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown processor"


def cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next(line for line in cpuinfo if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return "?"
    return ", ".join(flag for flag in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if flag in flags)


# === Workers: one row each ===


def keras_worker(args) -> dict:
    import keras
    import numpy as np

    backend = keras.backend.backend()
    if backend == "tensorflow" and (args.intra or args.inter):
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.intra)
        tf.config.threading.set_inter_op_parallelism_threads(args.inter)
    sys.path.insert(0, str(PROJECT_ROOT))
    from sprint19_unet.training.config import TrainConfig
    from sprint19_unet.training.fit import build_and_compile

    config = TrainConfig(input_size=args.size, base_filters=BASE, depth=DEPTH, batch_norm=False, loss="bce_dice",
                         batch_size=BATCH)
    model = build_and_compile(config, 1, (0.5, 0.2))
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, args.size, args.size, 1), dtype="float32")
    y = (rng.random((BATCH, args.size, args.size, 1)) > 0.5).astype("float32")
    times = time_steps(lambda: model.train_on_batch(x, y), args.warmup, args.steps)
    return {"img_s": BATCH / statistics.median(times), "versions": f"keras {keras.__version__}"}


def torch_worker(args) -> dict:
    import torch

    torch.manual_seed(0)
    layout = torch.contiguous_format if args.nchw else torch.channels_last
    model = torch_unet(1, BASE, "same", 0.0, depth=DEPTH).to(memory_format=layout)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(BATCH, 1, args.size, args.size).to(memory_format=layout)
    y = (torch.rand(BATCH, 1, args.size, args.size) > 0.5).float()
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        probabilities = torch.sigmoid(logits)
        dice = 1 - (2 * (probabilities * y).sum() + 1) / (probabilities.sum() + y.sum() + 1)
        (loss_fn(logits, y) + dice).backward()
        optimizer.step()

    times = time_steps(step, args.warmup, args.steps)
    return {"img_s": BATCH / statistics.median(times), "versions": f"torch {torch.__version__}"}


def conv_shapes(size: int) -> list[tuple[int, int, int]]:
    """(side, channels in, channels out) of the demo network's 3×3 convolutions."""
    shapes, channels = [], 1
    for level in range(DEPTH + 1):
        out = BASE * 2**level
        shapes += [(size >> level, channels, out), (size >> level, out, out)]
        channels = out
    for level in reversed(range(DEPTH)):
        out = BASE * 2**level
        shapes += [(size >> level, 2 * out, out), (size >> level, out, out)]
    return shapes


def profile_worker(args) -> dict:
    """Milliseconds of one 3×3 convolution per shape, forward and forward + backward."""
    rows = []
    if os.environ.get("KERAS_BACKEND") == "tensorflow":
        import tensorflow as tf

        for side, cin, cout in conv_shapes(args.size):
            x = tf.random.uniform((BATCH, side, side, cin))
            kernel = tf.Variable(tf.random.uniform((3, 3, cin, cout)))
            forward = tf.function(lambda x=x, kernel=kernel: tf.nn.conv2d(x, kernel, 1, "SAME"))

            @tf.function
            def both(x=x, kernel=kernel):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    loss = tf.reduce_sum(tf.nn.conv2d(x, kernel, 1, "SAME"))
                return tape.gradient(loss, [x, kernel])

            rows.append([side, cin, cout, *_ms(lambda: forward().numpy(), lambda: [g.numpy() for g in both()], args)])
    else:
        import torch

        for side, cin, cout in conv_shapes(args.size):
            x = torch.rand(BATCH, cin, side, side).to(memory_format=torch.channels_last).requires_grad_()
            conv = torch.nn.Conv2d(cin, cout, 3, padding=1).to(memory_format=torch.channels_last)

            def both(x=x, conv=conv):
                conv(x).sum().backward()

            rows.append([side, cin, cout, *_ms(lambda: conv(x).detach(), both, args)])
    return {"convolutions": rows}


def _ms(forward, both, args):
    return [1000 * statistics.median(time_steps(step, args.warmup, args.steps)) for step in (forward, both)]


# === Orchestration ===


def run_row(python: str, backend: str, env_extra: dict, options: list, args, mode: str) -> dict:
    command = [python, __file__, "--worker", mode, "--size", str(args.size), "--warmup", str(args.warmup),
               "--steps", str(args.steps), *options]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore", **env_extra}
    env.pop("KERAS_BACKEND", None)
    if backend:
        env["KERAS_BACKEND"] = backend
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        return {"error": (result.stderr.strip().splitlines() or ["no output"])[-1][:160]}
    return json.loads(lines[-1][len("RESULT "):])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="input tile (default 128: the original demo's)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--python", action="append", default=[],
                        help="another interpreter to look in for a row's framework (e.g. .venv-backends/bin/python)")
    parser.add_argument("--only", nargs="*", default=[], help="run only rows whose label contains one of these")
    parser.add_argument("--profile", action="store_true", help="also time each 3×3 convolution (TensorFlow vs peer)")
    parser.add_argument("--worker", choices=("keras", "torch", "profile"), help=argparse.SUPPRESS)
    parser.add_argument("--intra", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--inter", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--nchw", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker = {"keras": keras_worker, "torch": torch_worker, "profile": profile_worker}[args.worker]
        print("RESULT " + json.dumps(worker(args)), flush=True)
        return 0

    pythons = [sys.executable, *args.python]
    print(f"# CPU training speed, demo model (base {BASE}, depth {DEPTH}, {args.size}², batch {BATCH}, float32) — "
          f"{datetime.date.today()}")
    print(f"# {processor()} ({cpu_flags()}), {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"median of {args.steps} steps after {args.warmup}")
    results = {}
    for label, (module, backend, env_extra, options) in ROWS.items():
        if args.only and not any(word in label for word in args.only):
            continue
        python = next((p for p in pythons if importable(p, module)), None)
        if python is None:
            results[label] = {"error": f"{module} not installed (add an interpreter with --python)"}
            continue
        mode = "keras" if backend else "torch"
        results[label] = run_row(python, backend, env_extra, options, args, mode) | {"python": python}
    peer = results.get(PEER, {}).get("img_s")
    print("| stack | training img/s | ratio to peer | versions |")
    print("|---|---|---|---|")
    for label, result in results.items():
        if "error" in result:
            print(f"| {label} | — | — | {result['error']} |")
            continue
        ratio = f"{result['img_s'] / peer:.2f}" if peer else "—"
        print(f"| {label} | {result['img_s']:.1f} | {ratio} | {result['versions']} |")

    if args.profile:
        tf_python = next((p for p in pythons if importable(p, "tensorflow")), None)
        torch_python = next((p for p in pythons if importable(p, "torch")), None)
        if tf_python and torch_python:
            ours = run_row(tf_python, "tensorflow", {}, [], args, "profile").get("convolutions", [])
            theirs = run_row(torch_python, "", {}, [], args, "profile").get("convolutions", [])
            print("\n| 3×3 conv (side, in → out) | TF forward ms | peer forward ms | TF fwd+bwd ms | peer fwd+bwd ms |")
            print("|---|---|---|---|---|")
            for (side, cin, cout, tf_f, tf_b), (_, _, _, pt_f, pt_b) in zip(ours, theirs):
                print(f"| {side}², {cin} → {cout} | {tf_f:.2f} | {pt_f:.2f} | {tf_b:.2f} | {pt_b:.2f} |")
            print(f"| sum | {sum(r[3] for r in ours):.1f} | {sum(r[3] for r in theirs):.1f} | "
                  f"{sum(r[4] for r in ours):.1f} | {sum(r[4] for r in theirs):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
