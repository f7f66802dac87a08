"""fastmlp's modules import each other without a cycle.

The imports a module runs when it is loaded (those outside any function) form an acyclic
graph inside the package, so any module can be imported first. An import the other way,
from a module to one that loads it, is made inside a function when that function is
called; each of those is listed in ``IMPORTED_WHEN_CALLED`` with its reason, so a new one
(the start of a cycle) fails here until it is looked at, and so does a listed one that is
gone. The graph is read from the source with ``ast``; the last test imports the modules in
fresh interpreters, each first in turn.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fastmlp

PACKAGE = Path(fastmlp.__file__).resolve().parent
#: Imports inside functions that point back at a module which (through its own
#: imports) loads the importing one, with the function that makes each.
IMPORTED_WHEN_CALLED = {
    ("fastmlp.features", "fastmlp._sklearn_features"):
        "features.__getattr__: the scikit-learn transformer is loaded when asked for, so "
        "that the feature function (and the Playground) loads without scikit-learn",
}
#: The modules whose imports used to form a cycle, imported first in a fresh interpreter.
ESTIMATOR_MODULES = ("fastmlp.estimators", "fastmlp.persistence", "fastmlp.convert",
                     "fastmlp.model", "fastmlp._sklearn_training", "fastmlp._fitted",
                     "fastmlp._sklearn_twin")


def module_names():
    """Module name -> source file, for every module of the package."""
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


MODULES = module_names()


def imported_modules(node, importer):
    """The package's modules that an ``import`` statement in ``importer`` loads."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in MODULES}
    if node.level:
        is_package = MODULES[importer].name == "__init__.py"
        base = importer.split(".")
        base = base[:len(base) - node.level + (1 if is_package else 0)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module
    found = {target} if target in MODULES else set()
    found |= {f"{target}.{alias.name}" for alias in node.names
              if f"{target}.{alias.name}" in MODULES}
    return found


def is_type_checking_block(node):
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(module):
    """(imports run when ``module`` loads, imports run inside its functions)."""
    at_load, when_called = set(), set()

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                (when_called if in_function else at_load).update(
                    imported_modules(child, module))
            elif is_type_checking_block(child):
                continue
            else:
                visit(child, in_function
                      or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    visit(ast.parse(MODULES[module].read_text()), False)
    at_load.discard(module)
    when_called.discard(module)
    return at_load, when_called


GRAPH = {module: imports(module) for module in MODULES}


def loaded_by(module):
    """Every module that loading ``module`` loads (through load-time imports)."""
    seen, stack = set(), [module]
    while stack:
        for target in GRAPH[stack.pop()][0]:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def test_the_graph_sees_the_imports_it_is_about():
    assert "fastmlp.persistence" in GRAPH["fastmlp.model"][0]
    assert {"fastmlp._sklearn_training", "fastmlp.model", "fastmlp.persistence",
            "fastmlp._sklearn_twin"} <= GRAPH["fastmlp.estimators"][0]
    assert {"fastmlp.estimators", "fastmlp._sklearn_twin"} <= GRAPH["fastmlp.convert"][0]
    assert "fastmlp._kernels.optim" in GRAPH["fastmlp._sklearn_training"][0]


def test_the_file_format_and_the_conversion_load_no_model_class():
    """The model classes register with the file format (and hand their conversion to
    ``_sklearn_twin``): neither loads the modules that use it."""
    for module in ("fastmlp.persistence", "fastmlp._sklearn_twin"):
        assert not {"fastmlp.model", "fastmlp.estimators"} & loaded_by(module)
        assert not {"fastmlp.model", "fastmlp.estimators"} & GRAPH[module][1]


def test_imports_at_load_time_form_no_cycle():
    cycles = sorted(module for module in MODULES if module in loaded_by(module))
    assert not cycles, f"these modules load themselves through their imports: {cycles}"


def test_imports_back_up_the_graph_are_made_only_where_listed():
    back = {(module, target) for module in MODULES for target in GRAPH[module][1]
            if module in loaded_by(target)}
    assert back == set(IMPORTED_WHEN_CALLED), (
        f"new: {sorted(back - set(IMPORTED_WHEN_CALLED))}; "
        f"gone: {sorted(set(IMPORTED_WHEN_CALLED) - back)}"
    )


def test_fitted_attribute_names_import_nothing():
    tree = ast.parse(MODULES["fastmlp._fitted"].read_text())
    assert not [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]


def test_persistence_and_convert_take_the_fitted_names_from_one_place():
    for module in ("fastmlp.persistence", "fastmlp.convert"):
        assert "fastmlp._fitted" in GRAPH[module][0]


@pytest.mark.parametrize("first", ESTIMATOR_MODULES)
def test_each_module_can_be_imported_first(first):
    others = [module for module in ESTIMATOR_MODULES if module != first]
    code = f"import {first}\n" + "".join(f"import {module}\n" for module in others)
    path = os.pathsep.join(filter(None, (str(PACKAGE.parent), os.environ.get("PYTHONPATH"))))
    child = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": path},
                           capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, child.stderr
