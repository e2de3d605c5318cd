"""Sphinx configuration of the skser documentation (``make docs``)."""

import os
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
    # MathJax bundled with the package: the maths renders offline, without a CDN.
    "sphinx-mathjax-offline",
    # Figures of docs/figures.rst are drawn at build time from synthetic data.
    "matplotlib.sphinxext.plot_directive",
]

plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.max_open_warning": 0}

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

