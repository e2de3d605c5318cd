"""Noise for robustness tests: mix at an exact SNR, noisy copies of whole corpora.

:func:`mix_at_snr` adds one noise recording to one utterance at a chosen SNR;
:func:`make_noisy_copies` does it for a corpus and a list of SNRs, in memory or written to a
folder; :func:`load_noises` reads a folder of noise recordings.
"""

from ._mix import load_noises, make_noisy_copies, mix_at_snr

__all__ = ["load_noises", "make_noisy_copies", "mix_at_snr"]
