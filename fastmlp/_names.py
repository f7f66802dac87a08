"""The names the ``fastmlp`` command offers as choices, in a module that imports nothing.

The command line builds its parser from these tuples, so that ``fastmlp --help`` loads
nothing beyond ``import fastmlp``: not the Playground, scikit-learn or matplotlib. The
modules that implement the choices take their names from here; where the names key a
table of implementations (the kernels' activation codes, the feature formulas, the data
set generators), the tests check that the keys match.
"""

#: Hidden activations of :class:`fastmlp.MLP`: the keys of the kernels' activation codes.
HIDDEN_ACTIVATIONS = ("linear", "tanh", "relu", "sigmoid", "leaky_relu")

#: The Playground's classification data sets.
PLAYGROUND_CLASSIFICATION = ("circle", "xor", "gauss", "spiral")
#: The Playground's regression data sets.
PLAYGROUND_REGRESSION = ("reg_plane", "reg_gauss")
#: All six, classification first.
PLAYGROUND_DATASETS = PLAYGROUND_CLASSIFICATION + PLAYGROUND_REGRESSION

#: The Playground's seven input features, in its order.
PLAYGROUND_FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")

#: Hidden activations the Playground offers.
PLAYGROUND_ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
