"""Training and inference throughput of our U-Net against the same network written in PyTorch.

One run on one machine measures, for each implementation and setting:

* training images/s and ms/step (``train_on_batch``: forward, loss, backward, update);
* inference images/s (``predict_on_batch``);
* achieved TFLOP/s from the analytic count of :mod:`sprint19_unet.unet.flops` (the real
  multiply-adds of the convolutions, 2 FLOPs each; a training step = 3 × forward),
  and the fraction of a given peak (``--peak-tflops``, default 790: H100 bf16 dense);
* ours / peer: our images/s over the best PyTorch images/s for the same network and
  precision.

Cases: (a) the paper's network (572×572, valid padding, 2 classes, dropout 0.5,
batch 8, as in NVIDIA's UNet_Medical benchmark) and (b) the TGS-size network
(128×128, base 64, 'same' padding, sigmoid, batch 64); each in float32 and in
mixed precision (``--mixed``, default ``mixed_bfloat16``), with and without XLA
(``jit_compile``). JAX always compiles with XLA, so it has no "XLA off" rows;
Keras on PyTorch compiles with ``torch.compile`` when ``jit_compile=True``.
Keras runs on every backend of ``--backends`` that is installed (TensorFlow,
JAX, PyTorch), with the package's own losses, as ``train()`` uses them.
The peer is the same architecture written directly in PyTorch: channels_last,
AMP (autocast, with a GradScaler for float16), ``torch.compile`` when it works,
eager otherwise. "float32" means the framework default, which on NVIDIA
Ampere/Hopper GPUs lets convolutions use TF32 tensor cores in all three frameworks.

Method: each Keras backend and the peer run in their own subprocess (a backend
is fixed per process, and each framework claims the GPU memory for itself);
``--warmup`` untimed steps (compilation included), then ``--steps`` steps each
timed on its own and the **median** reported. Every step ends in a host copy of
its result (the loss as a Python float, the prediction as NumPy, or
``torch.cuda.synchronize``), so the time includes the device work. Random
inputs, in device-ready float32 arrays; no input pipeline.

``--pipeline`` adds the input-pipeline ratio: end-to-end ``fit`` images/s with
augmentation (``SegmentationBatches`` + ``AugmentConfig()``, ``workers``
threads) over compute-only ``fit`` images/s on the same in-memory images without
augmentation, same model (the default TrainConfig U-Net: base 16, BatchNorm,
128×128, batch 16), epochs of both kinds interleaved, median of ``--pipeline-repeats``.
The goal (≥ 85 %) is for GPUs: on a CPU the augmentation threads and the model
share the same cores.

Usage:
    python benchmarks/gpu_throughput.py                        # full size: run it on the GPU machine
    python benchmarks/gpu_throughput.py --small --pipeline     # CPU smoke run: 188² / 64², batch 2 / 8
    python benchmarks/gpu_throughput.py --backends jax --python-for jax=/path/to/venv-with-jax/bin/python
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
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# name → (input size, base filters, padding, classes, dropout, batch); --small replaces them
FULL_CASES = {
    "paper": (572, 64, "valid", 2, 0.5, 8),
    "tgs": (128, 64, "same", 1, 0.0, 64),
}
SMALL_CASES = {
    "paper": (188, 64, "valid", 2, 0.5, 2),
    "tgs": (64, 64, "same", 1, 0.0, 8),
}


# === Shared helpers ===


def forward_flops(case) -> int:
    sys.path.insert(0, str(PROJECT_ROOT))
    from sprint19_unet.unet.flops import unet_forward_flops

    size, base, padding, classes, _, _ = case
    return unet_forward_flops(size, base_filters=base, padding=padding, num_classes=classes)


def time_steps(step, warmup: int, steps: int) -> list[float]:
    """Run ``step`` warmup + steps times; return the timed seconds of the last ``steps``."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def make_row(implementation, name, case, precision, compiled, train_times, infer_times, device, note=""):
    _, _, _, _, _, batch = case
    flops = forward_flops(case)
    train_s, infer_s = statistics.median(train_times), statistics.median(infer_times)
    return {
        "implementation": implementation, "case": name, "size": case[0], "batch": batch, "precision": precision,
        "compiled": compiled, "train_img_s": batch / train_s, "train_ms_step": 1000 * train_s,
        "train_tflops": 3 * flops * batch / train_s / 1e12, "infer_img_s": batch / infer_s,
        "infer_tflops": flops * batch / infer_s / 1e12, "forward_gflop": flops / 1e9, "device": device, "note": note,
    }


def emit(row: dict) -> None:
    print("ROW " + json.dumps(row), flush=True)


# === Keras worker (one backend per process) ===


def keras_device() -> str:
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            return tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform != "cpu":
            return device.device_kind
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    return f"CPU ({os.cpu_count()} cores)"


def keras_worker(args) -> None:
    import keras
    import numpy as np

    sys.path.insert(0, str(PROJECT_ROOT))
    from sprint19_unet.training.losses import get_loss
    from sprint19_unet.unet.model import build_unet

    backend = keras.backend.backend()
    device = keras_device()
    cases = SMALL_CASES if args.small else FULL_CASES
    rng = np.random.default_rng(0)
    for name in args.cases.split(","):
        case = cases[name]
        size, base, padding, classes, dropout, batch = case
        out = size - 184 if padding == "valid" else size
        x = rng.random((batch, size, size, 1), dtype="float32")
        if classes == 1:
            y = (rng.random((batch, out, out, 1)) > 0.5).astype("float32")
        else:
            y = rng.integers(0, classes, size=(batch, out, out, 1)).astype("float32")
        for precision in ("float32", args.mixed):
            for xla in _xla_settings(args.xla, backend):
                keras.backend.clear_session()
                keras.config.set_dtype_policy(precision)
                try:
                    model = build_unet((size, size, 1), num_classes=classes, base_filters=base, depth=4,
                                       padding=padding, dropout=dropout)
                finally:
                    keras.config.set_dtype_policy("float32")
                loss = get_loss("bce" if classes == 1 else "sparse_cce")  # the package's losses, as train() uses
                model.compile(keras.optimizers.Adam(1e-4), loss, jit_compile=xla)
                train = time_steps(lambda: model.train_on_batch(x, y), args.warmup, args.steps)
                infer = time_steps(lambda: np.asarray(model.predict_on_batch(x)), args.warmup, args.steps)
                if backend == "torch":
                    compiled = "torch.compile" if xla else "eager"
                else:
                    compiled = "XLA" if xla else "no XLA"
                emit(make_row(f"keras/{backend}", name, case, precision, compiled, train, infer, device))


def _xla_settings(choice: str, backend: str) -> list[bool]:
    settings = {"both": [True, False], "on": [True], "off": [False]}[choice]
    return [True] if backend == "jax" else settings  # JAX always compiles with XLA


# === PyTorch peer ===


def torch_unet(num_classes: int, base: int, padding: str, dropout: float, depth: int = 4):
    """The same U-Net written directly in PyTorch (logits out; the loss applies the activation)."""
    import torch
    from torch import nn

    pad = 1 if padding == "same" else 0

    def double_conv(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=pad), nn.ReLU(inplace=True),
                             nn.Conv2d(cout, cout, 3, padding=pad), nn.ReLU(inplace=True))

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            filters = [base * 2**level for level in range(depth + 1)]
            self.down = nn.ModuleList(double_conv(cin, cout) for cin, cout in zip([1] + filters[:-2], filters[:-1]))
            self.bottleneck = double_conv(filters[-2], filters[-1])
            self.up = nn.ModuleList(nn.ConvTranspose2d(2 * f, f, 2, stride=2) for f in reversed(filters[:-1]))
            self.up_conv = nn.ModuleList(double_conv(2 * f, f) for f in reversed(filters[:-1]))
            self.dropout = nn.Dropout(dropout)
            self.pool = nn.MaxPool2d(2)
            self.head = nn.Conv2d(base, num_classes, 1)

        def forward(self, x):
            copied = []
            for level, block in enumerate(self.down):
                x = block(x)
                if level == depth - 1:
                    x = self.dropout(x)
                copied.append(x)
                x = self.pool(x)
            x = self.dropout(self.bottleneck(x))
            for up, block, features in zip(self.up, self.up_conv, reversed(copied)):
                x = up(x)
                dy, dx = (features.shape[2] - x.shape[2]) // 2, (features.shape[3] - x.shape[3]) // 2
                features = features[:, :, dy:dy + x.shape[2], dx:dx + x.shape[3]]
                x = block(torch.cat([features, x], dim=1))
            return self.head(x)

    return UNet()


def torch_worker(args) -> None:
    import torch

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device_name = torch.cuda.get_device_name(0) if device.type == "cuda" else f"CPU ({os.cpu_count()} cores)"
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    half = torch.bfloat16 if args.mixed == "mixed_bfloat16" else torch.float16
    cases = SMALL_CASES if args.small else FULL_CASES
    generator = torch.Generator().manual_seed(0)
    for name in args.cases.split(","):
        case = cases[name]
        size, base, padding, classes, dropout, batch = case
        out = size - 184 if padding == "valid" else size
        x = torch.rand(batch, 1, size, size, generator=generator).to(device, memory_format=torch.channels_last)
        if classes == 1:
            y = (torch.rand(batch, 1, out, out, generator=generator) > 0.5).float().to(device)
            loss_fn = torch.nn.BCEWithLogitsLoss()
        else:
            y = torch.randint(0, classes, (batch, out, out), generator=generator).to(device)
            loss_fn = torch.nn.CrossEntropyLoss()
        for precision in ("float32", args.mixed):
            for compile_it in {"both": (True, False), "on": (True,), "off": (False,)}[args.xla]:
                torch.manual_seed(0)
                eager = torch_unet(classes, base, padding, dropout).to(device, memory_format=torch.channels_last)
                optimizer = torch.optim.Adam(eager.parameters(), lr=1e-4)
                amp = precision != "float32"
                scaler = torch.amp.GradScaler(device.type, enabled=amp and half == torch.float16)
                note = ""
                model = eager
                if compile_it:
                    try:
                        model = torch.compile(eager)
                    except Exception as error:  # noqa: BLE001 - report and go on eager
                        model, note = eager, f"torch.compile failed ({type(error).__name__}); eager"

                def train_step(model=model, optimizer=optimizer, scaler=scaler, amp=amp):
                    model.train()
                    optimizer.zero_grad(set_to_none=True)
                    with torch.autocast(device.type, dtype=half, enabled=amp):
                        loss = loss_fn(model(x), y)
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                    sync()
                    return loss.item()

                def infer_step(model=model, amp=amp):
                    model.eval()
                    with torch.inference_mode(), torch.autocast(device.type, dtype=half, enabled=amp):
                        prediction = model(x)
                    sync()
                    return prediction.float().cpu()

                try:
                    train = time_steps(train_step, args.warmup, args.steps)
                    infer = time_steps(infer_step, args.warmup, args.steps)
                except Exception as error:  # noqa: BLE001 - a failed compile shows up at the first call
                    if not compile_it:
                        raise
                    emit({"implementation": "torch", "case": name, "precision": precision, "compiled": "torch.compile",
                          "failed": f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"})
                    continue
                label = "torch.compile" if compile_it and not note else "eager"
                precision_label = "amp " + str(half).split(".")[-1] if amp else "float32"
                emit(make_row("torch", name, case, precision_label, label, train, infer, device_name, note))


# === Input pipeline ratio (Keras, active backend) ===


def pipeline_worker(args) -> None:
    import keras

    sys.path.insert(0, str(PROJECT_ROOT))
    from sprint19_unet.data.augment import AugmentConfig
    from sprint19_unet.training.batches import SegmentationBatches
    from sprint19_unet.training.config import TrainConfig
    from sprint19_unet.data.prepare import pad_to_size
    from sprint19_unet.data.synthetic_salt import make_salt_dataset
    from sprint19_unet.training.fit import build_and_compile

    config = TrainConfig()  # base 16, BatchNorm, 128×128, batch 16: what users train
    images, masks, _ = make_salt_dataset(args.pipeline_images, seed=0)
    x = pad_to_size(images, config.input_size).astype("float32")
    y = pad_to_size(masks, config.input_size).astype("uint8")
    keras.backend.clear_session()
    model = build_and_compile(config, channels=1, input_stats=(float(x.mean()), float(x.std())))
    for workers in [int(w) for w in args.pipeline_workers.split(",")]:
        batches = {
            label: SegmentationBatches(x, y, config.batch_size, augment=augment, seed=0, workers=workers,
                                       drop_remainder=True)
            for label, augment in (("compute only", None), ("with augmentation", AugmentConfig()))
        }
        for label in batches:  # warm-up: compilation, thread start-up
            model.fit(batches[label], epochs=1, verbose=0, shuffle=False)
        rates = {label: [] for label in batches}
        for _ in range(args.pipeline_repeats):  # interleaved, so a change in machine load hits both alike
            for label, dataset in batches.items():
                start = time.perf_counter()
                model.fit(dataset, epochs=1, verbose=0, shuffle=False)
                rates[label].append(len(dataset) * config.batch_size / (time.perf_counter() - start))
        compute, end_to_end = statistics.median(rates["compute only"]), statistics.median(rates["with augmentation"])
        print("PIPELINE " + json.dumps({
            "backend": keras.backend.backend(), "workers": workers, "compute_img_s": compute,
            "end_to_end_img_s": end_to_end, "ratio": end_to_end / compute, "device": keras_device(),
            "images_per_epoch": len(batches["compute only"]) * config.batch_size, "repeats": args.pipeline_repeats,
        }), flush=True)


# === Orchestration and the table ===


def run_worker(python: str, backend: str, mode: str, args, env_extra=None) -> tuple[list[dict], str]:
    command = [python, __file__, "--worker", mode, "--cases", args.cases, "--mixed", args.mixed, "--xla", args.xla,
               "--warmup", str(args.warmup), "--steps", str(args.steps),
               "--pipeline-images", str(args.pipeline_images), "--pipeline-workers", args.pipeline_workers,
               "--pipeline-repeats", str(args.pipeline_repeats)] + (["--small"] if args.small else [])
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore", **(env_extra or {})}
    if backend:
        env["KERAS_BACKEND"] = backend
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    rows = [json.loads(line.split(" ", 1)[1]) | {"kind": line.split(" ", 1)[0]}
            for line in result.stdout.splitlines() if line.startswith(("ROW ", "PIPELINE "))]
    problem = "" if result.returncode == 0 else result.stderr.strip().splitlines()[-1][:200]
    print(f"# {mode} {backend or ''}: {len(rows)} rows in {time.perf_counter() - start:.0f} s"
          + (f" — FAILED: {problem}" if problem else ""), file=sys.stderr, flush=True)
    return rows, problem


def importable(python: str, module: str) -> bool:
    check = subprocess.run([python, "-c", f"import {module}"], capture_output=True,
                           env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return check.returncode == 0


def print_table(rows: list[dict], peak: float) -> None:
    best_peer = {}
    for row in rows:
        if row["implementation"] == "torch" and "failed" not in row:
            key = (row["case"], "float32" if row["precision"] == "float32" else "mixed")
            best_peer[key] = max(best_peer.get(key, 0.0), row["train_img_s"])
    print("| implementation | network | batch | precision | compiled | train img/s | ms/step | train TFLOP/s "
          f"| % of {peak:g} | inference img/s | inference TFLOP/s | ours / best peer (train) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if "failed" in row:
            print(f"| {row['implementation']} | {row['case']} | | {row['precision']} | {row['compiled']} "
                  f"| failed: {row['failed']} | | | | | | |")
            continue
        key = (row["case"], "float32" if row["precision"] == "float32" else "mixed")
        ratio = ""
        if row["implementation"] != "torch":
            ratio = f"{row['train_img_s'] / best_peer[key]:.2f}" if key in best_peer else "no peer"
        network = f"{row['case']} {row['size']}²"
        print(f"| {row['implementation']} | {network} | {row['batch']} | {row['precision']} | {row['compiled']} "
              f"| {row['train_img_s']:.2f} | {row['train_ms_step']:.0f} | {row['train_tflops']:.3f} "
              f"| {100 * row['train_tflops'] / peak:.2f} % | {row['infer_img_s']:.2f} | {row['infer_tflops']:.3f} "
              f"| {ratio} |" + (f" {row['note']}" if row.get("note") else ""))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="CPU smoke sizes: paper net at 188², TGS net at 64²")
    parser.add_argument("--cases", default="paper,tgs", help="comma list of: paper, tgs")
    parser.add_argument("--backends", default="tensorflow,jax,torch",
                        help="Keras backends to run (comma list); one that is not installed is skipped with a note")
    parser.add_argument("--python-for", action="append", default=[], metavar="BACKEND=PYTHON",
                        help="interpreter for a backend or for 'torch' (default: this one)")
    parser.add_argument("--peer", choices=("torch", "none"), default="torch", help="the PyTorch peer rows")
    parser.add_argument("--mixed", choices=("mixed_bfloat16", "mixed_float16"), default="mixed_bfloat16",
                        help="the mixed-precision policy (torch: autocast to the same half type)")
    parser.add_argument("--xla", choices=("both", "on", "off"), default="both",
                        help="XLA (Keras jit_compile) / torch.compile on, off, or both")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 5; --small 1)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default 20; --small 3)")
    parser.add_argument("--peak-tflops", type=float, default=790.0, help="peak for the %% column (H100 bf16: 790)")
    parser.add_argument("--pipeline", action="store_true", help="also measure the input-pipeline ratio")
    parser.add_argument("--no-throughput", action="store_true", help="skip the throughput table (e.g. with --pipeline)")
    parser.add_argument("--pipeline-images", type=int, default=None, help="images per epoch (default 1024; --small 128)")
    parser.add_argument("--pipeline-workers", default="1,2", help="comma list of worker counts")
    parser.add_argument("--pipeline-repeats", type=int, default=3, help="timed epochs of each kind (median)")
    parser.add_argument("--worker", choices=("keras", "torch", "pipeline"), help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.small else 5)
    args.steps = args.steps if args.steps is not None else (3 if args.small else 20)
    args.pipeline_images = args.pipeline_images or (128 if args.small else 1024)

    if args.worker:
        {"keras": keras_worker, "torch": torch_worker, "pipeline": pipeline_worker}[args.worker](args)
        return 0

    interpreters = dict(item.split("=", 1) for item in args.python_for)
    started = time.perf_counter()
    rows, notes, pipeline = [], [], []
    for backend in [b for b in args.backends.split(",") if b]:
        python = interpreters.get(backend, sys.executable)
        if not importable(python, backend):
            notes.append(f"Keras on {backend}: skipped, {backend} is not importable by {python}.")
            continue
        if not args.no_throughput:
            new_rows, problem = run_worker(python, backend, "keras", args)
            rows += new_rows
            if problem:
                notes.append(f"Keras on {backend}: worker failed: {problem}")
        if args.pipeline:
            new_rows, problem = run_worker(python, backend, "pipeline", args)
            pipeline += new_rows
            if problem:
                notes.append(f"pipeline on {backend}: worker failed: {problem}")
    if args.peer == "torch" and not args.no_throughput:
        python = interpreters.get("torch", sys.executable)
        if importable(python, "torch"):
            new_rows, problem = run_worker(python, "", "torch", args)
            rows += new_rows
            if problem:
                notes.append(f"PyTorch peer: worker failed: {problem}")
        else:
            notes.append(f"PyTorch peer: skipped, torch is not importable by {python}.")

    devices = sorted({row["device"] for row in rows if "device" in row} | {row["device"] for row in pipeline})
    print(f"# GPU throughput — {datetime.date.today()} — {platform.platform()}, {platform.python_version()}, "
          f"devices: {', '.join(devices) or 'none'}")
    print(f"# {'small (CPU smoke) sizes' if args.small else 'full sizes'}; warm-up {args.warmup}, "
          f"median of {args.steps} steps; mixed = {args.mixed}; {time.perf_counter() - started:.0f} s in all\n")
    if rows:
        print_table(rows, args.peak_tflops)
    if pipeline:
        print("\n| backend | workers | compute only (img/s) | end-to-end with augmentation (img/s) | ratio |")
        print("|---|---|---|---|---|")
        for row in pipeline:
            print(f"| {row['backend']} | {row['workers']} | {row['compute_img_s']:.1f} | {row['end_to_end_img_s']:.1f} "
                  f"| {100 * row['ratio']:.0f} % |")
    for note in notes:
        print(f"\nNote: {note}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "pipeline": pipeline, "notes": notes}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
