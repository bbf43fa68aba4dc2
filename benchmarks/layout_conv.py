"""NCHW vs channels-last convolution time (fwd + bwd), per precision, on the machine at hand.

    python benchmarks/layout_conv.py [--iters 50] [--json out.json]

Not graded; the bridge assignment's measurement cell runs the same code
(``course_utils.layouts.time_conv_layouts``). On CPU it runs fp32 only.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from course_utils.layouts import time_conv_layouts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=56)
    parser.add_argument("--json")
    args = parser.parse_args()
    timing = time_conv_layouts(iters=args.iters, batch=args.batch, size=args.size)
    print(timing)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dataclasses.asdict(timing), f, indent=2)


if __name__ == "__main__":
    main()
