"""The ``skser`` command: demo, feature extraction, evaluation, fitting and prediction.

Run ``skser --help`` (or ``python -m skser.cli --help``) for the subcommands:

* ``skser demo``: the whole method on a synthetic multi-corpus data set, with noise;
* ``skser extract AUDIO_DIR -o FEATURES.csv``: resumable acoustic feature extraction,
  optionally with noisy copies at several SNRs;
* ``skser evaluate FEATURES.csv``: cross-corpus and noise evaluation of the baselines and
  EDRL-MEA, saved as CSV, markdown and plots;
* ``skser fit FEATURES.csv -o model.skser`` and ``skser predict model.skser AUDIO...``.
"""

from ._main import main

__all__ = ["main"]
