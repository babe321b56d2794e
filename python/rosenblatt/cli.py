"""The ``rosenblatt`` command: ``rosenblatt info`` and ``rosenblatt bench``."""

from __future__ import annotations

import argparse
import json
import sys


def _info(args: argparse.Namespace) -> int:
    from rosenblatt.runtime import info

    report = info()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        width = max(map(len, report))
        for key, value in report.items():
            if isinstance(value, list):
                value = ", ".join(value)
            print(f"{key:<{width}}  {value}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    import rosenblatt
    from rosenblatt import bench

    if args.threads is not None:
        rosenblatt.set_num_threads(args.threads)
    print(bench.run(args.only or bench.FAMILIES, quick=args.quick, rounds=args.rounds))
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from rosenblatt.bench import FAMILIES

    parser = argparse.ArgumentParser(prog="rosenblatt", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    info = commands.add_parser("info", help="version, compiler, SIMD paths, threads, CUDA")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(run=_info)

    bench = commands.add_parser("bench", help="time our kernels against NumPy and PyTorch")
    bench.add_argument("--only", nargs="+", choices=FAMILIES, help="kernel families to run")
    bench.add_argument("--quick", action="store_true", help="skip the largest shapes")
    bench.add_argument("--rounds", type=_positive_int, default=11, help="samples per candidate")
    bench.add_argument("--threads", type=_positive_int, help="threads for rosenblatt's kernels")
    bench.set_defaults(run=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
