"""The ``rosenblatt`` command: ``rosenblatt info``, ``rosenblatt bench``, ``rosenblatt train <family>``
and ``rosenblatt saliency``.

Each model family adds its ``train`` subcommands from its own ``commands``
module (listed in :data:`TRAIN_COMMANDS`), whose ``register(commands,
common)`` adds parsers that take ``common`` (the options every ``train``
command has) as a parent and set ``run``. A run ends with :func:`report`,
whose ``--json`` line is the last line printed.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import sys

# Modules whose register(commands, common) adds `rosenblatt train <family>` subcommands.
TRAIN_COMMANDS = ("rosenblatt.models.commands", "rosenblatt.classic.commands",
                  "rosenblatt.models.cnn_commands",
                  "rosenblatt.models.recurrent_commands",
                  "rosenblatt.models.transformer_commands")


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


# Argument types shared by every command: each raises ArgumentTypeError, which
# argparse turns into a usage error naming the option.

def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def nonnegative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def nonnegative_float(text: str) -> float:
    value = float(text)
    if not value >= 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def probability(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _output_path(text: str) -> str:
    """A file path whose folder exists, checked before training rather than after it."""
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"folder {folder} does not exist")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    return text


def common_train_options() -> argparse.ArgumentParser:
    """The options every ``rosenblatt train`` command takes (an argparse parent)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--seed", type=nonnegative_int, default=0, help="random seed (default 0)")
    common.add_argument("--save", metavar="FILE", type=_output_path,
                        help="write the trained model to FILE")
    common.add_argument("--plot", metavar="PNG", type=_output_path,
                        help="write a plot to PNG (needs matplotlib)")
    common.add_argument("--json", action="store_true",
                        help="end with a one-line JSON summary of the run")
    return common


def report(args: argparse.Namespace, *, model: str, dataset: str, epochs: int | None,
           test: dict, seconds: float) -> None:
    """Print the test metrics, then (with ``--json``) the one-line JSON summary as the last line."""
    print("test " + ", ".join(f"{key} {value:.4f}" if isinstance(value, float) else f"{key} {value}"
                              for key, value in test.items()))
    if args.json:
        print(json.dumps({"model": model, "dataset": dataset, "epochs": epochs, "test": test,
                          "seconds": round(seconds, 3)}))


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
    bench.add_argument("--rounds", type=positive_int, default=11, help="samples per candidate")
    bench.add_argument("--threads", type=positive_int, help="threads for rosenblatt's kernels")
    bench.set_defaults(run=_bench)

    train = commands.add_parser("train", help="train a model family on bundled data")
    families = train.add_subparsers(dest="family", required=True, metavar="FAMILY")
    common = common_train_options()
    for module in TRAIN_COMMANDS:
        importlib.import_module(module).register(families, common)

    from rosenblatt.models.cnn_commands import register_saliency

    register_saliency(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "plot", None) and importlib.util.find_spec("matplotlib") is None:
        # Say so before training, not after it.
        parser.error("--plot needs matplotlib: pip install matplotlib "
                     "(or pip install 'rosenblatt[plot]')")
    try:
        return args.run(args)
    except (ValueError, OSError, ImportError) as error:
        # Bad option values, unreadable or unwritable files, a missing optional
        # package: the message says what is wrong, a traceback would bury it.
        parser.exit(1, f"rosenblatt: error: {error}\n")


if __name__ == "__main__":
    sys.exit(main())
