"""NCHW vs channels-last convolution time (fwd + bwd), per precision, on the machine at hand.

    python benchmarks/layout_conv.py [--iters 50] [--json out.json]

Not graded; used for the bridge assignment's teaching text. On CPU it runs fp32 only.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch
from torch import nn


def conv_stack(channels: int = 64) -> nn.Module:
    layers: list[nn.Module] = [nn.Conv2d(3, channels, 3, padding=1), nn.ReLU()]
    for _ in range(4):
        layers += [nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU()]
    return nn.Sequential(*layers)


def time_once(model: nn.Module, x: torch.Tensor, iters: int, autocast_dtype, device: str) -> float:
    def step() -> None:
        with torch.autocast(
            device_type=device, dtype=autocast_dtype, enabled=autocast_dtype is not None
        ):
            out = model(x)
        out.float().sum().backward()

    for _ in range(5):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(iters):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - started) / iters * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=56)
    parser.add_argument("--json")
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    modes = [("fp32", None, False)]
    if device == "cuda":
        modes += [
            ("tf32", None, True),
            ("bf16 autocast", torch.bfloat16, True),
            ("fp16 autocast", torch.float16, True),
        ]
    rows = []
    for name, dtype, tf32 in modes:
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        times = {}
        for layout, fmt in (
            ("NCHW", torch.contiguous_format),
            ("channels_last", torch.channels_last),
        ):
            torch.manual_seed(0)
            model = conv_stack().to(device).to(memory_format=fmt)
            x = torch.randn(args.batch, 3, args.size, args.size, device=device).to(
                memory_format=fmt
            )
            times[layout] = time_once(
                model,
                x,
                args.iters if device == "cuda" else max(3, args.iters // 10),
                dtype,
                device,
            )
        rows.append({"mode": name, **{k: round(v, 2) for k, v in times.items()}})
        print(
            f"{name:>14}: NCHW {times['NCHW']:.2f} ms   "
            f"channels_last {times['channels_last']:.2f} ms"
        )
    info = {
        "device": torch.cuda.get_device_name(0)
        if device == "cuda"
        else platform.processor() or "cpu",
        "torch": torch.__version__,
        "batch": args.batch,
        "size": args.size,
        "rows": rows,
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(info, f, indent=2)


if __name__ == "__main__":
    main()
