"""Sphinx configuration of the skser documentation (``make docs``)."""

import os
import re
import sys

sys.path.insert(0, os.path.abspath(".."))

import skser  # noqa: E402

project = "skser"
author = "skser developers"
copyright = "skser developers"  # noqa: A001
release = skser.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
]

# The API pages are written out in api.rst; nothing is generated into the source tree.
autosummary_generate = False
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    # scikit-learn's generated metadata-routing and configuration methods.
    "exclude-members": ",".join([
        "set_fit_request", "set_partial_fit_request", "set_transform_request",
        "set_score_request", "set_split_request", "set_predict_request",
        "get_metadata_routing", "set_output", "get_params", "set_params",
    ]),
}
autodoc_member_order = "bysource"
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Links to other projects resolve only with network access; without it they stay plain text.
intersphinx_mapping = {}

templates_path = []
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []
html_title = f"skser {release}"


# In plain docstring text, scikit-learn's names with a trailing underscore ("shape
# (n_features_in_,)") would be read as reStructuredText link targets, and "|x|" as a
# substitution. Escape both outside literals so that docstrings read as written.
_LITERAL = re.compile(r"(``.+?``|`[^`]+`)")
_TRAILING = re.compile(r"(?<![\\\w])([A-Za-z]\w*)_(?=[,)\s.;:]|$)")
_BARS = re.compile(r"\|(\w+)\|")


def _escape_text(line):
    parts = _LITERAL.split(line)
    for k in range(0, len(parts), 2):  # even parts are outside literals
        parts[k] = _BARS.sub(r"\\|\1\\|", _TRAILING.sub(r"\1\\_", parts[k]))
    return "".join(parts)


def _escape_docstring(app, what, name, obj, options, lines):
    in_block = False
    for k, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith((">>>", "...")) or stripped.startswith(".. "):
            continue
        if in_block and stripped and not line.startswith((" ", "\t")):
            in_block = False
        if stripped.endswith("::"):
            in_block = True
            continue
        if not in_block:
            lines[k] = _escape_text(line)


def setup(app):
    app.connect("autodoc-process-docstring", _escape_docstring, priority=400)
