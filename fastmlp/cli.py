"""The ``fastmlp`` command line (also ``python -m fastmlp``).

Subcommands:

* ``demo``: the two-moons experiment: train a small network on two moons and plot it
  (:func:`fastmlp.demo.run_demo`).
* ``playground``: one Neural Network Playground run, or one per seed
  (:class:`fastmlp.playground.Playground`), with the app's picture; with ``--serve``, the
  live page of :mod:`fastmlp.live`.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Sequence

from . import __version__
from ._names import (
    HIDDEN_ACTIVATIONS,
    PLAYGROUND_ACTIVATIONS,
    PLAYGROUND_DATASETS,
    PLAYGROUND_FEATURES,
)

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


def _seeds(text: str) -> list[int]:
    """Seeds from ``"0-9"`` (inclusive range) or ``"0,3,5"``."""
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-"))
            seeds = list(range(first, last + 1))
        else:
            seeds = [int(part) for part in text.split(",")]
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(
            f"seeds must be a range such as 0-9 or a list such as 0,3,5; got {text!r}"
        )
    return seeds


def _add_playground_parser(commands) -> None:
    playground = commands.add_parser(
        "playground",
        help="train as the Neural Network Playground does, and draw its picture",
        description="One run of the TensorFlow Neural Network Playground with its data, "
        "features and training semantics: prints the train and test loss every 100 epochs "
        "(from epoch 0, the initial weights) and the wall time, and saves the app's picture "
        "(network, output, loss curves). "
        "With --seeds, one run per seed and the median, min and max test loss. With "
        "--serve, a live page with the app's controls instead, opening on the app's "
        "settings: every change retrains and redraws. The defaults are the exercise "
        "sheet's spiral (the spiral task of the exercise sheet fastmlp grew from: inputs x1 "
        "and x2, three hidden layers of 8 tanh neurons, learning rate 0.1, batch 10); the "
        "app itself opens on circle with layers 4,2 and learning rate 0.03.",
    )
    playground.add_argument("--dataset", choices=PLAYGROUND_DATASETS, default="spiral",
                            help="data set (default: %(default)s)")
    playground.add_argument("--features", default="x1,x2", metavar="NAMES",
                            help=f"comma-separated inputs among {', '.join(PLAYGROUND_FEATURES)}"
                            ", fed to the network in this order, as the app does, whatever "
                            "the order given (default: %(default)s)")
    playground.add_argument("--layers", default="8,8,8", metavar="WIDTHS",
                            help="hidden layer widths, comma-separated (default: %(default)s)")
    playground.add_argument("--activation", choices=PLAYGROUND_ACTIVATIONS, default="tanh",
                            help="hidden activation (default: %(default)s)")
    playground.add_argument("--lr", type=float, default=0.1,
                            help="learning rate (default: %(default)s)")
    playground.add_argument("--epochs", type=int, default=500,
                            help="epochs (default: %(default)s)")
    playground.add_argument("--noise", type=float, default=0.0,
                            help="noise in [0, 0.5]: the app's 0-50%% slider / 100 "
                            "(default: %(default)s)")
    playground.add_argument("--train-ratio", type=float, default=0.5,
                            help="share of points used for training (default: %(default)s)")
    playground.add_argument("--batch-size", type=int, default=10,
                            help="points per update (default: %(default)s)")
    playground.add_argument("--regularization", choices=("l1", "l2"), default=None,
                            help="penalty (default: none)")
    playground.add_argument("--reg-rate", type=float, default=0.0,
                            help="regularisation rate (default: %(default)s)")
    playground.add_argument("--problem", choices=("classification", "regression"),
                            default=None, help="default: the data set's own")
    playground.add_argument("--seed", type=int, default=0,
                            help="seed of data, split and weights (default: %(default)s)")
    playground.add_argument("--seeds", type=_seeds, default=None, metavar="RANGE",
                            help="run every seed, e.g. 0-9, and summarise the test losses")
    playground.add_argument("--out", default="playground.png", metavar="PATH",
                            help="picture file, format from the extension "
                            "(default: %(default)s)")
    live = playground.add_argument_group(
        "live page", "--serve opens on the app's defaults (circle, layers 4,2, lr 0.03, "
        "500 epochs); the settings above that are given override them")
    live.add_argument("--serve", action="store_true",
                      help="serve the live Playground page (needs the 'web' extra)")
    live.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (default: %(default)s, this machine only). "
                      "The page has no authentication and trains whatever it is sent: "
                      "listen on another address only on a network you trust")
    live.add_argument("--port", type=int, default=8050,
                      help="port, 0 for any free one (default: %(default)s)")
    live.add_argument("--no-browser", action="store_true",
                      help="do not open the page in a web browser")
    playground.set_defaults(handler=_playground, command_parser=playground)


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
        help="the two-moons experiment: train a small network on two moons and plot it",
        description="The two-moons experiment (from the exercise sheet fastmlp grew from): "
        "train an MLP with a sigmoid output and binary cross-entropy on "
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
                      f"comma-separated: {', '.join(HIDDEN_ACTIVATIONS)} (default: %(default)s)")
    demo.add_argument("--batch-size", type=int, default=None, metavar="N",
                      help="samples per update (default: the whole training set)")
    demo.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                      help="arithmetic precision (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0,
                      help="seed of the initial weights (default: %(default)s)")
    demo.add_argument("--out", default="fastmlp-demo.png", metavar="PATH",
                      help="image file, format from the extension (default: %(default)s)")
    demo.set_defaults(handler=_demo, command_parser=demo)
    _add_playground_parser(commands)
    _add_compile_parser(commands)
    return parser


def _demo(args: argparse.Namespace) -> int:
    """Run :func:`~fastmlp.demo.run_demo` with the parsed options and print its report."""
    from .compiling import CompileWatch, compile_shared
    from .demo import demo_jobs, run_demo
    from .model import DivergenceError

    try:
        with CompileWatch(on_first_compile=_say_compiling) as watch:
            # Compiled by two processes at once, then loaded by the demo.
            started = time.perf_counter()
            compile_shared(demo_jobs, args.hidden, args.activation, args.batch_size,
                           args.dtype)
            shared_seconds = time.perf_counter() - started
            result = run_demo(
                epochs=args.epochs, lr=args.lr, hidden=args.hidden,
                activation=args.activation, batch_size=args.batch_size, dtype=args.dtype,
                seed=args.seed, out=args.out,
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
    print(_kernel_report(watch, shared_seconds + result.kernel_seconds))
    print(f"saved {result.path}")
    return 0


#: ``fastmlp playground`` options that set the live page's opening settings.
_LIVE_SETTINGS = {
    "dataset": "dataset", "features": "features", "layers": "hidden",
    "activation": "activation", "lr": "learning_rate", "epochs": "epochs", "noise": "noise",
    "train_ratio": "train_ratio", "batch_size": "batch_size",
    "regularization": "regularization", "reg_rate": "regularization_rate",
    "problem": "problem", "seed": "seed",
}


def _given(argv: Sequence[str]) -> dict:
    """The ``playground`` options written in ``argv`` (those left at a default are absent).

    argparse gives an option its default only when the namespace it parses into lacks the
    option: parsed into a namespace in which every option already holds a marker, the
    options written replace their marker and the others keep it.
    """
    command_parser = build_parser().parse_args(argv).command_parser
    options = list(argv[list(argv).index("playground") + 1:])
    unset = object()
    names = vars(command_parser.parse_args(options))
    parsed = command_parser.parse_args(
        options, namespace=argparse.Namespace(**dict.fromkeys(names, unset)))
    return {name: value for name, value in vars(parsed).items() if value is not unset}


def _serve(args: argparse.Namespace) -> int:
    """Serve the live page, opening on the app's defaults and the options given."""
    parser = args.command_parser
    given = _given(args.argv)
    for option in ("seeds", "out"):
        if option in given:
            parser.error(f"--{option} does not apply with --serve (the page has a 'seeds' "
                         "switch and draws in the browser)")
    opening = {setting: given[option] for option, setting in _LIVE_SETTINGS.items()
               if option in given}
    from . import live

    try:
        live.create_app(opening)  # checks Flask and the settings before anything is loaded
    except ModuleNotFoundError as exc:
        parser.exit(1, f"{parser.prog}: error: {exc}\n")
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    from .compiling import CompileWatch, compile_shared
    from .playground import playground_jobs

    if not _loopback(args.host):
        print(f"warning: listening on {args.host}, not this machine only: the page has no "
              "authentication and trains whatever any client that reaches it sends",
              file=sys.stderr, flush=True)
    start = time.perf_counter()
    with CompileWatch(on_first_compile=_say_compiling) as watch:
        compile_shared(playground_jobs, live.parse_settings({})[0])
        live.warm_up()
    print(_kernel_report(watch, time.perf_counter() - start))
    try:
        live.serve(host=args.host, port=args.port, open_browser=not args.no_browser,
                   **opening)
    except OSError as exc:
        parser.exit(1, f"{parser.prog}: error: cannot listen on {args.host}:{args.port} "
                    f"({exc}); pass another --port, or --port 0 for any free one\n")
    return 0


def _loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (localhost, 127.0.0.0/8, ::1)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _playground(args: argparse.Namespace) -> int:
    """Run one Playground per seed, print its figures, and save a picture."""
    if args.serve:
        return _serve(args)
    from .playground import Playground, sweep

    settings = dict(
        dataset=args.dataset, noise=args.noise, train_ratio=args.train_ratio,
        features=args.features, hidden=args.layers, activation=args.activation,
        learning_rate=args.lr, regularization=args.regularization,
        regularization_rate=args.reg_rate, batch_size=args.batch_size, problem=args.problem,
    )
    parser = args.command_parser
    try:
        epochs = _positive(args.epochs, "--epochs")
        if args.seeds is None:
            playground = Playground(seed=args.seed, **settings)
        else:
            playground = Playground(seed=args.seeds[0], **settings)  # checks every setting
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    import numpy as np

    from .compiling import CompileWatch, compile_shared
    from .playground import playground_jobs

    start = time.perf_counter()
    with CompileWatch(on_first_compile=_say_compiling) as watch:
        compile_shared(playground_jobs, settings)  # two processes compile, then this loads
        warm_up = Playground(seed=0, **settings).run(1)
        warm_up.predict(np.zeros((1, 2)))
    print(_kernel_report(watch, time.perf_counter() - start))
    if args.seeds is None:
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            done = 0
            while True:  # epoch 0 (the initial weights), then every 100 epochs
                shown = playground.history["test_loss"].size - 1  # a failed epoch is shown
                print(f"epoch {shown:>5}  train loss {playground.train_loss:.3f}  "
                      f"test loss {playground.test_loss:.3f}")
                if done == epochs or playground.diverged:
                    break
                chunk = min(100, epochs - done)
                playground.run(chunk)
                done += chunk
        seconds = time.perf_counter() - start
        for warning in caught:
            print(f"warning: {warning.message}")
        print(f"wall time {seconds * 1e3:.1f} ms for {playground.epoch} epochs")
    else:
        start = time.perf_counter()
        rows = sweep({}, seeds=args.seeds, epochs=epochs, **settings)
        seconds = time.perf_counter() - start
        losses = [row["test_loss"] for row in rows]
        for row in rows:
            flag = "  (diverged)" if row["diverged"] else ""
            print(f"seed {row['seed']:>4}  train loss {row['train_loss']:.3f}  "
                  f"test loss {row['test_loss']:.3f}{flag}")
        finite = [loss for loss in losses if loss == loss]
        if finite:
            print(f"test loss over {len(rows)} seeds: median {_median(finite):.3f}  "
                  f"min {min(finite):.3f}  max {max(finite):.3f}")
        print(f"wall time {seconds * 1e3:.1f} ms for {len(rows)} runs of {epochs} epochs")
        median_seed = rows[sorted(range(len(rows)), key=lambda i: losses[i])[len(rows) // 2]]
        playground = Playground(seed=median_seed["seed"], **settings)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            playground.run(epochs)
        print(f"picture: seed {median_seed['seed']} (the median test loss)")
    try:
        from .plotting import plot_playground

        plot_playground(playground).savefig(args.out)
    except OSError as exc:
        parser.exit(1, f"{parser.prog}: error: cannot write {args.out}: {exc}\n")
    print(f"saved {args.out}")
    return 0


def _say_compiling() -> None:
    """Say that compiling starts (and that it happens once)."""
    from .compiling import COMPILING_MESSAGE

    print(COMPILING_MESSAGE, file=sys.stderr, flush=True)


def _kernel_report(watch, ready_seconds: float) -> str:
    """What getting the kernels ready took (``ready_seconds`` of wall time): compiling
    them, perhaps with a helper process, or loading them."""
    if watch.compiled:
        return (f"kernels compiled for this machine in {ready_seconds:.1f} s, once: "
                "Numba's disk cache keeps them for later runs")
    return f"kernels loaded from Numba's disk cache in {ready_seconds:.2f} s"


def _compile(args: argparse.Namespace) -> int:
    """Compile every kernel for the chosen dtypes and print what was compiled or loaded."""
    from .compiling import compile as compile_kernels

    if args.processes is not None:
        try:
            _positive(args.processes, "--processes")
        except ValueError as exc:
            args.command_parser.error(str(exc))
    start = time.perf_counter()
    rows = compile_kernels(dtypes=args.dtype or ("float64", "float32"),
                           processes=args.processes, progress=not args.quiet)
    for row in rows:
        what = f"compiled {row['compiled']} kernel(s)" if row["compiled"] else "loaded"
        print(f"{row['path']:<20} {row['dtype']:<8} {what} in {row['seconds']:.1f} s")
    print(f"ready in {time.perf_counter() - start:.1f} s")
    return 0


def _add_compile_parser(commands) -> None:
    compile_parser = commands.add_parser(
        "compile",
        help="compile every kernel now, so that later runs start at once",
        description="Compile fastmlp's kernels for this machine into Numba's disk cache "
        "(NUMBA_CACHE_DIR if set): the loops (training, inference, the Playground and, "
        "with more than one Numba thread, the threaded batch driver) and every step "
        "kernel (each product, activation, head, optimizer, sparse input, dropout), for "
        "each dtype, in one process per core. Afterwards no call compiles anything. "
        "Kernels already in the cache are only loaded. Run it once in a Docker image, a "
        "CI job or a classroom machine.",
    )
    compile_parser.add_argument("--dtype", choices=("float64", "float32"), action="append",
                                default=None,
                                help="precision to compile for; repeat for both "
                                "(default: both)")
    compile_parser.add_argument("--processes", type=int, default=None, metavar="N",
                                help="processes compiling at once (default: one per core)")
    compile_parser.add_argument("--quiet", action="store_true", help="no progress bar")
    compile_parser.set_defaults(handler=_compile, command_parser=compile_parser)


def _positive(value: int, name: str) -> int:
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


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
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command is None:
        parser.print_help(sys.stderr)
        parser.exit(2)
    return args.handler(args)
