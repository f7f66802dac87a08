"""The ``fastmlp`` command line and the two-moons experiment behind ``fastmlp demo``."""

import re
import subprocess
import sys

import numpy as np
import pytest

import fastmlp
from fastmlp import _names, datasets, features
from fastmlp._kernels.activations import ACTIVATION_CODES
from fastmlp.cli import build_parser, main
from fastmlp.demo import run_demo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Prints the modules that parsing ``fastmlp --help`` adds to those of ``import fastmlp``,
#: then the top-level packages loaded in all.
HELP_IMPORTS = """
import contextlib, io, sys
import fastmlp
before = set(sys.modules)
from fastmlp.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main(["--help"])
print(" ".join(sorted(set(sys.modules) - before)))
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""

#: Runs a short two-moons experiment (image path in argv), then tells whether
#: scikit-learn and scipy.sparse were loaded.
DEMO_IMPORTS = """
import sys
from fastmlp.cli import main
main(["demo", "--epochs", "5", "--out", sys.argv[1]])
print("scikit-learn loaded:", "sklearn" in sys.modules)
print("scipy.sparse loaded:", "scipy.sparse" in sys.modules)
"""


def test_demo_prints_losses_and_accuracy_and_writes_png(tmp_path, capsys):
    out = tmp_path / "demo.png"
    assert main(["demo", "--epochs", "50", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    loss_lines = re.findall(r"^epoch +(\d+)/50  loss (\d+\.\d{4})$", printed, re.MULTILINE)
    assert [int(epoch) for epoch, _ in loss_lines] == list(range(5, 51, 5))
    losses = [float(loss) for _, loss in loss_lines]
    assert losses[-1] < losses[0]
    assert re.search(r"^test loss \d+\.\d{4}  test accuracy \d+\.\d%$", printed, re.MULTILINE)
    assert str(out) in printed
    assert out.read_bytes().startswith(PNG_SIGNATURE)


def test_default_demo_separates_the_moons(tmp_path):
    result = run_demo(out=tmp_path / "moons.png")
    assert result.history.shape == (1000,)
    assert np.all(np.isfinite(result.history))
    assert result.history[-1] < result.history[0]
    assert result.test_accuracy >= 0.99
    assert 0 < result.test_loss < result.history[0]
    assert result.fit_seconds > 0
    assert result.path.read_bytes().startswith(PNG_SIGNATURE)


def test_demo_is_reproducible_for_a_seed_and_varies_across_seeds(tmp_path):
    first, again, other = (
        run_demo(epochs=30, seed=seed, out=tmp_path / f"{index}.png")
        for index, seed in enumerate((3, 3, 4))
    )
    np.testing.assert_array_equal(first.history, again.history)
    assert not np.array_equal(first.history, other.history)


def test_python_dash_m_runs_the_demo(tmp_path):
    out = tmp_path / "module.png"
    completed = subprocess.run(
        [sys.executable, "-m", "fastmlp", "demo", "--epochs", "20", "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "epoch 20/20  loss" in completed.stdout
    assert out.read_bytes().startswith(PNG_SIGNATURE)


def test_demo_runs_without_scikit_learn_or_scipy_sparse(tmp_path):
    """Neither is needed for dense arrays, and importing them costs seconds."""
    out = tmp_path / "moons.png"
    completed = subprocess.run([sys.executable, "-c", DEMO_IMPORTS, str(out)],
                               capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-2:] == ["scikit-learn loaded: False",
                                                  "scipy.sparse loaded: False"]
    assert out.read_bytes().startswith(PNG_SIGNATURE)


def test_hidden_and_activation_options_parse_into_per_layer_lists():
    args = build_parser().parse_args(["demo", "--hidden", "16,8", "--activation", "tanh,relu"])
    assert args.hidden == (16, 8)
    assert args.activation == ["tanh", "relu"]
    defaults = build_parser().parse_args(["demo"])
    assert (defaults.hidden, defaults.activation, defaults.batch_size) == ((10,), "tanh", None)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--epochs", "0"], "epochs must be at least 1"),
        (["--lr", "-1"], "lr must be > 0"),
        (["--activation", "nope"], "unknown activation 'nope'"),
        (["--hidden", "0"], "argument --hidden: hidden layer widths must be positive"),
        (["--hidden", "16,16", "--activation", "tanh,relu,relu"], "list of 2 names"),
        (["--epochs", "ten"], "argument --epochs: invalid int value"),
        (["--dtype", "float16"], "argument --dtype: invalid choice"),
    ],
)
def test_bad_option_exits_2_with_one_line_message(options, message, tmp_path, capsys):
    out = tmp_path / "never.png"
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", *options, "--out", str(out)])
    assert exit_info.value.code == 2
    last_line = capsys.readouterr().err.strip().splitlines()[-1]
    assert last_line.startswith("fastmlp demo: error: ")
    assert message in last_line
    assert not out.exists()


def test_no_subcommand_prints_help_and_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "demo" in capsys.readouterr().err


def test_version_option_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"fastmlp {fastmlp.__version__}"


def test_playground_prints_losses_from_epoch_0_every_100_epochs_and_writes_the_picture(
        tmp_path, capsys):
    out = tmp_path / "spiral.png"
    assert main(["playground", "--dataset", "spiral", "--features", "x1,x2", "--layers",
                 "8,8,8", "--activation", "tanh", "--lr", "0.1", "--epochs", "250",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    lines = re.findall(r"^epoch +(\d+)  train loss (\d\.\d{3})  test loss (\d\.\d{3})$",
                       printed, re.MULTILINE)
    assert [int(epoch) for epoch, _, _ in lines] == [0, 100, 200, 250]
    expected = fastmlp.playground.Playground("spiral", seed=0).run(250)
    assert float(lines[0][1]) == pytest.approx(expected.history["train_loss"][0], abs=5e-4)
    assert float(lines[-1][2]) == pytest.approx(expected.test_loss, abs=5e-4)
    assert re.search(r"^wall time [\d.]+ ms for 250 epochs$", printed, re.MULTILINE)
    assert out.read_bytes().startswith(PNG_SIGNATURE)


def test_playground_over_seeds_prints_median_min_max(tmp_path, capsys):
    out = tmp_path / "xor.png"
    assert main(["playground", "--dataset", "xor", "--layers", "4", "--epochs", "40",
                 "--regularization", "l2", "--reg-rate", "0.001", "--seeds", "0-4",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    losses = [float(x) for x in re.findall(r"^seed +\d+  train loss \S+  test loss (\S+)$",
                                            printed, re.MULTILINE)]
    assert len(losses) == 5 and len(set(losses)) > 1
    summary = re.search(r"median (\S+)  min (\S+)  max (\S+)$", printed, re.MULTILINE)
    assert [float(v) for v in summary.groups()] == pytest.approx(
        [np.median(losses), min(losses), max(losses)], abs=1e-3)
    assert out.read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("options, message", [
    (["--noise", "0.7"], "noise must be <= 0.5"),
    (["--layers", "8,,8"], "empty entry"),
    (["--features", "x1,z"], "valid choices for feature"),
    (["--train-ratio", "1.5"], "train_ratio must be < 1"),
    (["--batch-size", "0"], "batch_size must be at least 1"),
    (["--seeds", "a-b"], "seeds must be a range"),
    (["--epochs", "0"], "--epochs must be at least 1"),
])
def test_playground_bad_options_exit_with_a_message(options, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["playground", *options])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_help_loads_no_heavy_module_beyond_the_package():
    completed = subprocess.run([sys.executable, "-c", HELP_IMPORTS], capture_output=True,
                               text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    added, loaded = (set(line.split()) for line in completed.stdout.splitlines())
    assert {name for name in added if name.startswith("fastmlp")} == {"fastmlp.cli",
                                                                      "fastmlp._names"}
    heavy = {"numba", "numpy", "scipy", "sklearn", "matplotlib"}
    assert not {name for name in added if name.split(".")[0] in heavy}
    assert not loaded & {"sklearn", "matplotlib"}


def test_choices_offered_by_the_command_line_match_the_implementations():
    assert _names.HIDDEN_ACTIVATIONS == tuple(ACTIVATION_CODES)
    assert set(_names.PLAYGROUND_ACTIVATIONS) <= set(_names.HIDDEN_ACTIVATIONS)
    assert _names.PLAYGROUND_FEATURES == tuple(features.FEATURES)
    assert set(_names.PLAYGROUND_DATASETS) == set(datasets._GENERATORS)
