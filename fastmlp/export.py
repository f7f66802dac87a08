"""ONNX export: a trained network as a graph that any ONNX runtime can serve.

The graph is built with the ``onnx`` package's own helpers (``pip install -e ".[onnx]"``)
and checked with its checker. Each layer is one ``Gemm`` (``X W^T + b``) followed by its
activation (``Tanh``, ``Relu``, ``Sigmoid``, ``max(z, 0.01 z)`` for leaky ReLU, nothing
for ``linear``); the output head is ``Sigmoid``, ``Softmax``, ``Tanh``, ``Exp`` or nothing.
The graph computes in the model's dtype (``float`` for float32, ``double`` for float64),
with the weights stored in it.

What each kind of model's graph takes and gives, named as scikit-learn's converters
(``skl2onnx``, with ``zipmap=False``) name them:

=============================  ===============  ==========================================
model                          input            outputs
=============================  ===============  ==========================================
``MLP``                        ``X`` (n, d)     ``outputs``: ``predict_proba`` for the
                                                classification losses, else ``predict``
                                                (n, n_outputs); ``label`` (classification
                                                losses): ``MLP.predict``
``MLPClassifier``              ``X`` (n, d)     ``label``: ``predict``; ``probabilities``:
                                                ``predict_proba``
``MLPRegressor``               ``X`` (n, d)     ``variable``: ``predict`` as (n, n_outputs)
``Playground``                 ``points`` (n,   ``outputs``: ``Playground.predict`` (n,),
                               2), float64      the run's features computed in the graph
=============================  ===============  ==========================================

The functions here take a model's parts (network, classes, feature names), not the model
classes, which call them from their ``to_onnx`` methods.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._kernels.activations import LEAKY_SLOPE

#: The ONNX operator set the graphs use (onnxruntime 1.18 and later run it).
OPSET = 17
#: ONNX's own activation for each hidden activation of fastmlp (``None``: the identity;
#: leaky ReLU is built from ``Mul`` and ``Max``).
_ACTIVATIONS = {"linear": None, "tanh": "Tanh", "relu": "Relu", "sigmoid": "Sigmoid",
                "leaky_relu": None}
#: The same for each output head.
_OUTPUTS = {"identity": None, "tanh": "Tanh", "sigmoid": "Sigmoid", "softmax": "Softmax",
            "exp": "Exp"}


def _onnx():
    try:
        import onnx
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "ONNX export needs the onnx package: pip install -e \".[onnx]\" in fastmlp's "
            "folder (or pip install onnx)"
        ) from error
    return onnx


class _Graph:
    """Nodes and initialisers of a graph under construction, with fresh names."""

    def __init__(self, dtype):
        self.onnx = _onnx()
        self.dtype = np.dtype(dtype)
        self.element_type = self.onnx.helper.np_dtype_to_tensor_dtype(self.dtype)
        self.nodes = []
        self.initializers = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, hint: str, value, dtype=None) -> str:
        name = self.name(hint)
        array = np.asarray(value, dtype=dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: Sequence[str], output: str | None = None, **attributes):
        output = output or self.name(op.lower())
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [output], **attributes))
        return output

    def network(self, net, features: str) -> tuple[str, str]:
        """The layers of ``net`` on ``features``: (output pre-activations, head output)."""
        hidden = list(net.activation) + [None]
        current = features
        for layer, (W, b) in enumerate(net.parameter_blocks(net.parameters)):
            current = self.node("Gemm", [current, self.constant(f"W{layer}", W),
                                         self.constant(f"b{layer}", b)], transB=1)
            activation = hidden[layer]
            if activation == "leaky_relu":
                # max(z, 0.01 z), with the slope in the network's dtype: ONNX's LeakyRelu
                # holds its slope as a float32 attribute, 2e-9 away from 0.01.
                slope = self.constant("slope", LEAKY_SLOPE, self.dtype)
                current = self.node("Max", [current, self.node("Mul", [current, slope])])
            elif activation is not None and _ACTIVATIONS[activation] is not None:
                current = self.node(_ACTIVATIONS[activation], [current])
        z = current
        op = _OUTPUTS[net.output]
        if op is None:
            return z, z
        return z, self.node(op, [z], **({"axis": 1} if op == "Softmax" else {}))

    def model(self, inputs, outputs, doc: str):
        """The checked ModelProto; ``inputs``/``outputs`` are ``(name, element type,
        shape)``."""
        helper = self.onnx.helper
        graph = helper.make_graph(
            self.nodes, "fastmlp",
            [helper.make_tensor_value_info(*spec) for spec in inputs],
            [helper.make_tensor_value_info(*spec) for spec in outputs],
            initializer=self.initializers,
        )
        from . import __version__

        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="fastmlp", producer_version=__version__,
                                  doc_string=doc)
        self.onnx.checker.check_model(model, full_check=True)
        return model

    def squeeze_columns(self, tensor: str, output: str | None = None) -> str:
        """(n, 1) -> (n,)."""
        return self.node("Squeeze", [tensor, self.constant("axis", [1], np.int64)], output)


def mlp_model(net):
    """The graph of :class:`fastmlp.MLP` ``net`` (see the module docstring)."""
    graph = _Graph(net.dtype)
    z, y = graph.network(net, "X")
    graph.node("Identity", [y], "outputs")
    n_out = net.sizes[-1]
    outputs = [("outputs", graph.element_type, ["n", n_out])]
    int64 = graph.onnx.TensorProto.INT64
    if net.output == "softmax":
        graph.node("ArgMax", [z], "label", axis=1, keepdims=0)
        outputs.append(("label", int64, ["n"]))
    elif net.output == "sigmoid":
        zero = graph.constant("zero", 0.0, net.dtype)
        labels = graph.node("Cast", [graph.node("GreaterOrEqual", [z, zero])], to=int64)
        if n_out == 1:
            graph.squeeze_columns(labels, "label")
            outputs.append(("label", int64, ["n"]))
        else:
            graph.node("Identity", [labels], "label")
            outputs.append(("label", int64, ["n", n_out]))
    return graph.model([("X", graph.element_type, ["n", net.sizes[0]])], outputs,
                       f"fastmlp.MLP {list(net.sizes)}")


def _classes_tensor(classes):
    """``classes_`` as values an ONNX tensor holds: int64, float64 or strings."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f":
        return classes.astype(np.float64)
    return np.array([str(c) for c in classes], dtype=object)


def classifier_model(net, classes, multilabel: bool):
    """The graph of a fitted ``MLPClassifier``: its network, its ``classes_`` and whether
    its targets are multi-label."""
    graph = _Graph(net.dtype)
    _, y = graph.network(net, "X")
    onnx = graph.onnx
    int64 = onnx.TensorProto.INT64
    n_out = net.sizes[-1]
    if multilabel:
        graph.node("Identity", [y], "probabilities")
        half = graph.constant("half", 0.5, net.dtype)
        graph.node("Cast", [graph.node("Greater", [y, half])], "label", to=int64)
        label = ("label", int64, ["n", n_out])
        probabilities = ("probabilities", graph.element_type, ["n", n_out])
    else:
        if n_out == 1:  # binary: one sigmoid output is P(classes_[1])
            one = graph.constant("one", 1.0, net.dtype)
            y = graph.node("Concat", [graph.node("Sub", [one, y]), y], axis=1)
        graph.node("Identity", [y], "probabilities")
        values = _classes_tensor(classes)
        index = graph.node("ArgMax", [y], axis=1, keepdims=0)
        graph.node("Gather", [graph.constant("classes", values), index], "label", axis=0)
        label_type = onnx.helper.np_dtype_to_tensor_dtype(values.dtype) \
            if values.dtype != object else onnx.TensorProto.STRING
        label = ("label", label_type, ["n"])
        probabilities = ("probabilities", graph.element_type, ["n", len(values)])
    return graph.model([("X", graph.element_type, ["n", net.sizes[0]])],
                       [label, probabilities], f"fastmlp.MLPClassifier {list(net.sizes)}")


def regressor_model(net):
    """The graph of a fitted ``MLPRegressor``."""
    graph = _Graph(net.dtype)
    _, y = graph.network(net, "X")
    graph.node("Identity", [y], "variable")
    return graph.model([("X", graph.element_type, ["n", net.sizes[0]])],
                       [("variable", graph.element_type, ["n", net.sizes[-1]])],
                       f"fastmlp.MLPRegressor {list(net.sizes)}")


def playground_model(net, feature_names: Sequence[str]):
    """The graph of a Playground run: raw points ``(x1, x2)`` in, the run's features
    computed in the graph (``x1^2``, ``sin(x1)``, ...), then its network."""
    graph = _Graph(net.dtype)
    columns = {}
    for index, name in enumerate(("x1", "x2")):
        columns[name] = graph.node("Gather", ["points", graph.constant("column", [index],
                                                                       np.int64)], axis=1)
    x1, x2 = columns["x1"], columns["x2"]
    maps = {"x1": lambda: x1, "x2": lambda: x2,
            "x1^2": lambda: graph.node("Mul", [x1, x1]),
            "x2^2": lambda: graph.node("Mul", [x2, x2]),
            "x1*x2": lambda: graph.node("Mul", [x1, x2]),
            "sin(x1)": lambda: graph.node("Sin", [x1]),
            "sin(x2)": lambda: graph.node("Sin", [x2])}
    features = graph.node("Concat", [maps[name]() for name in feature_names], axis=1)
    _, y = graph.network(net, features)
    graph.squeeze_columns(y, "outputs")
    return graph.model([("points", graph.element_type, ["n", 2])],
                       [("outputs", graph.element_type, ["n"])],
                       f"fastmlp.Playground {list(feature_names)} {list(net.sizes)}")
