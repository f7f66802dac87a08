"""The ``fastmlp`` command line (also ``python -m fastmlp``).

Subcommands:

* ``demo``: train a small network on two moons and plot it (:func:`fastmlp.demo.run_demo`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from ._kernels.activations import ACTIVATION_CODES
from .demo import run_demo
from .model import DivergenceError

#: Number of training-loss lines printed (every 100 epochs for the default 1000).
LOSS_LINES = 10


def _widths(text: str) -> tuple[int, ...]:
    """Hidden layer widths from ``"16,16"``; an ``ArgumentTypeError`` for anything else."""
    try:
        widths = tuple(int(part) for part in text.split(","))
    except ValueError:
        widths = ()
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(
            f"hidden layer widths must be positive integers separated by commas (e.g. 16,16), "
            f"got {text!r}"
        )
    return widths


def _activations(text: str) -> str | list[str]:
    """One activation name, or a list of them from ``"tanh,relu"``."""
    names = text.split(",")
    return names[0] if len(names) == 1 else names


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fastmlp`` command.

    Returns
    -------
    argparse.ArgumentParser
        Parsed arguments carry ``command`` (``None`` when no subcommand was given) and,
        for a subcommand, ``handler`` (the function that runs it) and ``command_parser``
        (its parser, for error messages).
    """
    parser = argparse.ArgumentParser(
        prog="fastmlp",
        description="Multi-layer perceptrons trained on the CPU by Numba-compiled kernels.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="train a small network on two moons and plot the result",
        description="Train an MLP with a sigmoid output and binary cross-entropy on "
        "make_moons(500, noise=0.2), print the training loss and test figures, and save "
        "the loss curve and the decision boundary as an image.",
    )
    demo.add_argument("--epochs", type=int, default=1000,
                      help="passes over the training set (default: %(default)s)")
    demo.add_argument("--lr", type=float, default=0.5,
                      help="learning rate (default: %(default)s)")
    demo.add_argument("--hidden", type=_widths, default="10", metavar="WIDTHS",
                      help="hidden layer widths, comma-separated: 16,16 is two layers of 16 "
                      "(default: 10)")
    demo.add_argument("--activation", type=_activations, default="tanh", metavar="NAMES",
                      help="hidden activation, one name or one per hidden layer "
                      f"comma-separated: {', '.join(ACTIVATION_CODES)} (default: %(default)s)")
    demo.add_argument("--batch-size", type=int, default=None, metavar="N",
                      help="samples per update (default: the whole training set)")
    demo.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                      help="arithmetic precision (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0,
                      help="seed of the initial weights (default: %(default)s)")
    demo.add_argument("--out", default="fastmlp-demo.png", metavar="PATH",
                      help="image file, format from the extension (default: %(default)s)")
    demo.set_defaults(handler=_demo, command_parser=demo)
    return parser


def _demo(args: argparse.Namespace) -> int:
    """Run :func:`~fastmlp.demo.run_demo` with the parsed options and print its report."""
    try:
        result = run_demo(
            epochs=args.epochs, lr=args.lr, hidden=args.hidden, activation=args.activation,
            batch_size=args.batch_size, dtype=args.dtype, seed=args.seed, out=args.out,
        )
    except (ValueError, TypeError) as exc:
        args.command_parser.error(str(exc))
    except (DivergenceError, OSError) as exc:
        args.command_parser.exit(1, f"{args.command_parser.prog}: error: {exc}\n")
    epochs = result.history.size
    step = max(1, epochs // LOSS_LINES)
    shown = sorted({*range(step, epochs + 1, step), epochs})
    width = len(str(epochs))
    for epoch in shown:
        print(f"epoch {epoch:>{width}}/{epochs}  loss {result.history[epoch - 1]:.4f}")
    print(f"test loss {result.test_loss:.4f}  test accuracy {result.test_accuracy:.1%}")
    print(f"training time {result.fit_seconds * 1e3:.1f} ms for {epochs} epochs "
          f"({result.fit_seconds / epochs * 1e6:.1f} us per epoch)")
    print(f"kernels ready in {result.load_seconds:.2f} s (loaded from Numba's disk cache; "
          "compiled on the first run ever)")
    print(f"saved {result.path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fastmlp`` command.

    Parameters
    ----------
    argv : sequence of str or None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        Exit status: 0 on success. Invalid options raise ``SystemExit(2)`` after printing
        a one-line message (the help, when no subcommand is given); diverged training or
        an image that cannot be written raise ``SystemExit(1)``.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        parser.exit(2)
    return args.handler(args)
