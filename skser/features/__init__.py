"""Acoustic features of speech: utterance-level functionals of low-level descriptors.

:class:`AcousticFeatures` (a scikit-learn transformer over audio files or signals) and
:func:`extract_features` (one signal) compute one feature vector per utterance. Every spectral
descriptor comes from one short-time Fourier transform per utterance (25 ms Hann window, 10 ms
hop); F0 comes from a YIN tracker computed for all frames at once with FFTs. Files are read with
soundfile (librosa as a fallback), downmixed to mono and resampled to ``sr``.

**Feature set "egemaps_like" (88 features).**
skser's own definitions after the families of eGeMAPS v02 (Eyben et al. 2016); values are
close in meaning to, not identical with, openSMILE's. Frames are *voiced* (periodic, F0 in
60-600 Hz), *unvoiced* (sounding but aperiodic) or *silent* (more than 40 dB under the loudest
frame, or mean square below 1e-10). ``cv`` is the coefficient of variation ``std / |mean|``;
``std`` is used instead for descriptors whose sign varies.

=============================  ========  ===================================================
descriptor                     frames    definition
=============================  ========  ===================================================
F0semitone                     voiced    12 log2(F0 / 27.5 Hz), F0 by YIN (30 ms window)
loudness                       all       sum over 26 mel bands (20-8000 Hz) of power ** 0.3
spectralFlux                   all       L2 distance of consecutive L2-normalised magnitude
                                         spectra
mfcc1-4                        all       MFCC 1-4: DCT-II of log power of 26 mel bands
jitterLocal                    voiced    abs(T_t - (T_t-1 + T_t+1) / 2) / T_t, T = 1 / F0, on
                                         runs of 3 voiced frames (frame-level, detrended)
shimmerLocaldB                 voiced    abs(A_t - (A_t-1 + A_t+1) / 2), A = frame level in
                                         dB, on runs of 3 voiced frames
HNRdBACF                       voiced    10 log10(r / (1 - r)), r = normalised
                                         autocorrelation at the F0 period (in -40..40 dB)
logRelF0-H1-H2                 voiced    dB level of the 1st minus the 2nd harmonic
logRelF0-H1-A3                 voiced    dB level of the 1st harmonic minus the harmonic
                                         nearest F3
F1-3 frequency, bandwidth      voiced    lowest 3 resonances (bandwidth < 600 Hz) of an order
                                         10 LPC of the 0-5.5 kHz pre-emphasised spectrum
F1-3 amplitudeLogRelF0         voiced    dB level of the harmonic nearest the formant minus H1
alphaRatio                     V / UV    10 log10 of power in 50-1000 Hz over 1-5 kHz
hammarbergIndex                V / UV    10 log10 of the peak power in 0-2 kHz over 2-5 kHz
slope0-500, slope500-1500      V / UV    least-squares slope of the dB spectrum, dB/kHz
loudnessPeaksPerSec            all       loudness peaks (prominence > 10 % of its range) per s
VoicedSegmentsPerSec           all       runs of voiced frames per second
Mean/StddevVoicedSegment...    voiced    length of the runs of voiced frames, s
Mean/StddevUnvoicedSegment...  -         length of the gaps between voiced runs, s
equivalentSoundLevel_dB        all       10 log10 of the mean square of the frames (dBFS)
=============================  ========  ===================================================

Functionals: F0semitone and loudness get 10 (mean, cv, 20th/50th/80th percentile, range
20-80, mean and std of the rising and of the falling frame-to-frame slopes, per second, within
voiced runs for F0); the other voiced/all-frame descriptors get their mean and either ``cv``
(spectralFlux, jitter, shimmer, formant frequencies and bandwidths) or ``std`` (the rest), as
the name's suffix says; the unvoiced spectral ones get their mean. Rates per second divide by
the analysed duration (the number of 10 ms frames, at least one).

Degenerate audio gives finite, documented values: a clip shorter than one 25 ms frame (or
empty) is zero-padded to one frame; a functional over no frames (pitch of silence or of noise)
is 0, a cv of a zero mean is 0, and logarithms use a power floor of 1e-12 (-120 dB). So silence
gives loudness 0, equivalentSoundLevel -120 dB and zeros for every voiced feature.

**Feature set "mfcc_stats" (52 features).**
Mean and standard deviation over frames of MFCC 0-12 and of their deltas ((c_t+1 - c_t-1) / 2).

**openSMILE.**
``"opensmile:eGeMAPSv02"`` (88), ``"opensmile:GeMAPSv01b"`` (62) and
``"opensmile:ComParE_2016"`` (6373) call the ``opensmile`` package when it is installed.

**Self-supervised embeddings.**
``"hf:<model>[,layer=<layers>][,pooling=mean|mean_std]"``, or :class:`SSLEmbeddings` with its
full set of options, pools hidden layers of a wav2vec 2.0, HuBERT, WavLM or data2vec-audio
model of the ``transformers`` package (``pip install skser[ssl]``) into one vector per
utterance: ``hidden_size`` columns per layer group and statistic (768 for base models).

Examples
--------
>>> import numpy as np
>>> from skser.features import AcousticFeatures, extract_features, feature_names
>>> rng = np.random.default_rng(0)
>>> X = AcousticFeatures(feature_set="mfcc_stats").fit_transform([rng.normal(size=8000)])
>>> X.shape, len(feature_names("mfcc_stats"))
((1, 52), 52)
"""

from ._acoustic import AcousticFeatures, extract_features, feature_names
from ._audio_io import AudioReadError, load_audio
from ._hf_spec import parse_hf_feature_set
from ._ssl import SSLEmbeddings

__all__ = [
    "AcousticFeatures",
    "AudioReadError",
    "SSLEmbeddings",
    "extract_features",
    "feature_names",
    "load_audio",
    "parse_hf_feature_set",
]
