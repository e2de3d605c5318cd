"""Argument parsing and error handling of the ``skser`` command."""

from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
import warnings

from ._errors import UsageError

PROG = "skser"
MODEL_NAMES = ("svc", "pca-svc", "edrl-mea")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _int_at_least(minimum, what):
    """An argparse type: an integer of at least ``minimum``, described as ``what``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return parse


_positive_int = _int_at_least(1, "a positive integer")
_non_negative_int = _int_at_least(0, "an integer >= 0")


def _sample_rate(text):
    # Imported here, only when --sr is given: the features package costs ~0.1 s to import and
    # the parser is built for every command, --help included.
    from ..features._acoustic import MIN_SAMPLE_RATE

    value = _positive_int(text)
    if value < MIN_SAMPLE_RATE:
        raise argparse.ArgumentTypeError(
            f"expected a sample rate of at least {MIN_SAMPLE_RATE} Hz, got {text!r}"
        )
    return value


def _n_jobs(text):
    try:
        value = int(text)
    except ValueError:
        msg = f"expected an integer (-1 = all cores), got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if value == 0:
        raise argparse.ArgumentTypeError("n-jobs cannot be 0; use 1, N or -1 (all cores)")
    return value


def _float(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


#: The --task choices; skser.datasets._dimensions.TASKS, spelled out so that 'skser --help'
#: imports nothing of the library.
TASKS = ("emotion", "arousal", "valence")


def _add_task(parser, command):
    what = "train and score" if command == "evaluate" else "train the model to predict"
    parser.add_argument(
        "--task", choices=TASKS, default="emotion",
        help=f"what to {what}: the emotions of the label column (default), or binary arousal "
             "(low/high) or binary valence (negative/positive) mapped from them by the maps "
             "of the cross-corpus literature (angry, happy, fearful, surprised: high arousal; "
             "happy, surprised, neutral, calm: positive valence)")
    parser.add_argument(
        "--mapping", metavar="FILE",
        help="with --task arousal or valence: your own map from the emotions of the label "
             "column to classes, instead of the default one: a CSV file whose header is "
             "'emotion,class' followed by one 'emotion,class' line per emotion (e.g. "
             "'disgust,high'); every emotion of the table needs a line, and an empty class "
             "leaves that emotion's rows out")


def build_parser():
    """Return the :class:`argparse.ArgumentParser` of the ``skser`` command."""
    from skser import __version__

    parser = _Parser(
        prog=PROG,
        description="Noise-robust and cross-corpus speech emotion recognition (EDRL-MEA).",
        epilog="Run 'skser COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"skser {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks instead of one-line errors"
    )
    # --debug is accepted after the command name too ("skser demo --debug").
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show full tracebacks instead of one-line errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    # demo ---------------------------------------------------------------------------------
    p = sub.add_parser(
        "demo",
        parents=[common],
        help="run the whole method on synthetic corpora, with noise",
        description=(
            "Synthesise emotional speech from several corpora, extract acoustic features, "
            "normalise them per corpus, train SVC, PCA+SVC and EDRL-MEA on clean speech of "
            "one corpus and test them on another corpus, clean and with babble and pink noise "
            "at several SNRs. Prints a UAR table and writes the table and plots to --output."
        ),
    )
    p.add_argument("--output", "-o", default="skser-demo-output", metavar="DIR",
                   help="folder for the table and plots (default: %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help="a much smaller corpus and shorter training (a few seconds)")
    p.add_argument("--random-state", type=int, default=0, metavar="N",
                   help="seed of the synthetic data and of the models (default: %(default)s)")
    p.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                   help="parallel workers for feature extraction (default: 1)")
    p.add_argument("--no-plots", action="store_true", help="do not draw the plots")

    # extract ------------------------------------------------------------------------------
    from skser.datasets import LAYOUTS

    p = sub.add_parser(
        "extract",
        parents=[common],
        help="extract acoustic features of a corpus folder (resumable)",
        description=(
            "Extract utterance-level acoustic features of every audio file of a corpus into a "
            "CSV table (one row per file and condition, with path, emotion, speaker, gender, "
            "corpus, label, condition, noise and snr_db columns before the features). With "
            "--noise-dir and --snrs, noisy copies of every file are made in memory at each SNR "
            "with a noise file (one drawn per file, or each in turn with --noise-mode each) "
            "and their features are written too (condition '<noise> <snr> dB'), for "
            "'skser evaluate'. Rows are appended in chunks to "
            "FEATURES.csv.partial, flushed to disk; an interrupted run continues where it "
            "stopped when rerun with the same options, and the finished table is renamed into "
            "place atomically."
        ),
    )
    p.add_argument("audio_dir", metavar="AUDIO_DIR",
                   help="corpus folder (or a CSV manifest with --layout csv)")
    p.add_argument("--output", "-o", required=True, metavar="FEATURES.csv",
                   help="output CSV table")
    p.add_argument("--layout", default="auto", choices=("auto", *LAYOUTS),
                   help="corpus layout (default: detected)")
    p.add_argument("--feature-set", "--features", default="egemaps_like", metavar="NAME",
                   help="feature set of skser.features: egemaps_like, mfcc_stats, "
                        "opensmile:<set>, or hf:<model>[,layer=<layers>][,pooling=mean|mean_std]"
                        " for self-supervised embeddings (wav2vec 2.0, HuBERT, WavLM; needs "
                        "pip install skser[ssl]; runs on the GPU when there is one) "
                        "(default: %(default)s)")
    p.add_argument("--sr", type=_sample_rate, default=16000,
                   help="analysis sample rate in Hz (default: %(default)s)")
    p.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                   help="parallel workers (-1 = all cores; default: 1, the faster choice on "
                        "2 cores or a busy machine: every worker first spends seconds loading "
                        "and compiling the feature code)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="compute the features on a Dask cluster, e.g. tcp://host:8786 (needs "
                        "pip install skser[dask]); each worker reads its files itself (a "
                        "shared disk, or URLs such as s3://... listed in a csv manifest), rows "
                        "are written here as files come back, so a rerun resumes as usual")
    p.add_argument("--noise-dir", metavar="DIR",
                   help="folder of noise recordings for noisy copies (needs --snrs)")
    p.add_argument("--snrs", type=_float, nargs="+", metavar="DB",
                   help="SNRs in dB of the noisy copies, e.g. --snrs 20 10 5 0")
    p.add_argument("--noise-mode", choices=("random", "each"), default="random",
                   help="'random': one noise file drawn per audio file, conditions "
                        "'<noise folder> <snr> dB' (default); 'each': every noise file is its "
                        "own condition '<noise file> <snr> dB'")
    p.add_argument("--chunk-size", type=_positive_int, default=64, metavar="N",
                   help="rows written to disk at a time (default: %(default)s)")
    p.add_argument("--on-error", choices=("skip", "raise"), default="skip",
                   help="a file that fails (unreadable, damaged, below 8000 Hz, empty or "
                        "silent): skip it and list it at the end (default), or stop")
    p.add_argument("--random-state", type=int, default=0, metavar="N",
                   help="seed of the noise offsets (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--restart", action="store_true",
                   help="discard an unfinished extraction instead of resuming it")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress messages")

    # evaluate -----------------------------------------------------------------------------
    p = sub.add_parser(
        "evaluate",
        parents=[common],
        help="cross-corpus and noise evaluation of a features table",
        description=(
            "Evaluate the baselines and EDRL-MEA on a features table (from 'skser extract' or "
            "any CSV with an emotion column, a corpus column and numeric feature columns). "
            "Every model is trained on the clean rows of each corpus and tested on every other "
            "corpus (and, with speaker-independent folds, within a corpus when only one is "
            "given), clean and in every noisy condition of the table. Prints the UAR table and "
            "writes results.csv, results.md and plots to --output."
        ),
    )
    p.add_argument("features", metavar="FEATURES.csv", nargs="+",
                   help="features table(s); several tables (e.g. one per corpus) are stacked")
    p.add_argument("--output", "-o", default="skser-evaluation", metavar="DIR",
                   help="folder for the results (default: %(default)s)")
    p.add_argument("--models", nargs="+", choices=MODEL_NAMES, default=list(MODEL_NAMES),
                   help="models to evaluate (default: all)")
    p.add_argument("--normalise", choices=("corpus", "speaker", "none"), default="corpus",
                   help="per-group standardisation before evaluation (default: corpus)")
    p.add_argument("--label-column", default="emotion",
                   help="column with the emotions (default: %(default)s)")
    p.add_argument("--corpus-column", default="corpus",
                   help="column with the corpus names (default: %(default)s)")
    p.add_argument("--snrs", type=_float, nargs="+", metavar="DB",
                   help="only the noisy conditions at these SNRs (default: all in the table)")
    p.add_argument("--scoring", nargs="+", default=["uar", "wa", "macro_f1"], metavar="NAME",
                   help="metrics (default: uar wa macro_f1)")
    p.add_argument("--quick", action="store_true", help="shorter EDRL training")
    p.add_argument("--random-state", type=int, default=0, metavar="N",
                   help="seed of the models (default: %(default)s)")
    p.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                   help="parallel fits (default: 1)")
    p.add_argument("--no-plots", action="store_true", help="do not draw the plots")
    p.add_argument("--n-bootstrap", type=_non_negative_int, default=1000, metavar="N",
                   help="resamples of the test utterances for the 95%% intervals of the UARs "
                        "(0: no intervals; default: %(default)s)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar or progress messages")
    _add_task(p, "evaluate")
    p.add_argument("--transductive", action="store_true",
                   help="adapt to the unlabelled test speech: each test set's features (never "
                        "its labels) join the training fit as unlabelled rows; one fit per "
                        "test set and condition")

    # fit ----------------------------------------------------------------------------------
    p = sub.add_parser(
        "fit",
        parents=[common],
        help="fit a model on a features table and save it",
        description=(
            "Fit a model on the clean rows of a features table and save it, together with "
            "the feature settings that 'skser predict' needs to extract the same features "
            "from new audio. The model file holds data only (no pickle): loading it cannot "
            "run code."
        ),
    )
    p.add_argument("features", metavar="FEATURES.csv", nargs="+",
                   help="features table(s); several tables are stacked")
    p.add_argument("--output", "-o", required=True, metavar="MODEL.skser",
                   help="where to save the model")
    p.add_argument("--model", choices=MODEL_NAMES, default="edrl-mea",
                   help="model (default: %(default)s)")
    p.add_argument("--label-column", default="emotion",
                   help="column with the emotions (default: %(default)s)")
    _add_task(p, "fit")
    p.add_argument("--quick", action="store_true", help="shorter EDRL training")
    p.add_argument("--random-state", type=int, default=0, metavar="N",
                   help="seed of the model (default: %(default)s)")

    # predict ------------------------------------------------------------------------------
    p = sub.add_parser(
        "predict",
        parents=[common],
        help="predict the emotion of audio files with a saved model",
        description=(
            "Extract features from audio files with the settings saved with the model and "
            "print one 'path,emotion' line per file (CSV with a header; 'path,arousal' or "
            "'path,valence' for a model fitted with --task arousal or valence). Empty, too short "
            "and silent files get an empty emotion: no emotion can be judged from them."
        ),
    )
    p.add_argument("model", metavar="MODEL.skser", help="a model saved by 'skser fit'")
    p.add_argument("audio", nargs="+", metavar="AUDIO",
                   help="audio files, or folders searched for audio files")
    p.add_argument("--output", "-o", metavar="PREDICTIONS.csv",
                   help="also write the predictions to this CSV file")
    p.add_argument("--proba", action="store_true",
                   help="also print the confidence (probability of the predicted emotion) and "
                        "the probability of every emotion")
    p.add_argument("--trust-pickle", action="store_true",
                   help="load a model saved by skser 0.1 (a pickle file, which can run any "
                        "code it holds): only for files from a source you trust")
    p.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                   help="parallel workers for feature extraction (default: 1)")
    return parser


def _dispatch(args):
    if args.command == "demo":
        from ._demo import run_demo

        return run_demo(args)
    if args.command == "extract":
        from ._extract import run_extract

        return run_extract(args)
    if args.command == "evaluate":
        from ._evaluate import run_evaluate

        return run_evaluate(args)
    if args.command == "fit":
        from ._fit_predict import run_fit

        return run_fit(args)
    if args.command == "predict":
        from ._fit_predict import run_predict

        return run_predict(args)
    raise AssertionError(args.command)  # pragma: no cover - argparse restricts the choices


def main(argv=None):
    """Run the ``skser`` command with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments without the program name.

    Returns
    -------
    int
        The exit status: 0 on success, 1 for an error, 2 for a usage error, 130 when
        interrupted.

    Examples
    --------
    A user mistake is one line on stderr and a non-zero status, not a traceback:

    >>> from skser.cli import main
    >>> main(["evaluate", "no-such-table.csv"])
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        # argparse has printed the usage error (status 2) or the help (0); return the status
        # as documented instead of leaving the interpreter from inside a library call.
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    debug = args.debug or bool(os.environ.get("SKSER_DEBUG"))
    flags = _command_flags(parser, args.command)
    previous = warnings.showwarning
    warnings.showwarning = _warning_printer(args.command, flags)
    try:
        return int(_dispatch(args) or 0)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except UsageError as exc:
        if debug:
            traceback.print_exc()
        print(f"{PROG} {args.command}: error: {in_cli_terms(str(exc), args.command, flags)}",
              file=sys.stderr)
        return 2
    except (OSError, ValueError, TypeError, KeyError, ImportError) as exc:
        # Missing or unreadable files, bad tables, bad values: the message names the problem.
        if debug:
            traceback.print_exc()
        text = in_cli_terms(_one_line(exc), args.command, flags)
        print(f"{PROG} {args.command}: error: {text}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - last resort: never a traceback without --debug
        if debug:
            traceback.print_exc()
        print(
            f"{PROG} {args.command}: unexpected error ({type(exc).__name__}): "
            f"{in_cli_terms(_one_line(exc), args.command, flags)} "
            "(rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1
    finally:
        warnings.showwarning = previous


def _one_line(exc):
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, KeyError) and exc.args:
        text = f"missing key {exc.args[0]!r}"
    if isinstance(exc, FileNotFoundError) and exc.filename and str(exc.filename) not in text:
        text = f"{text}: {exc.filename}"
    return " ".join(text.split())


# Parameters of the library whose messages can reach the command line, and their flags.
_PARAM_FLAGS = {
    "layout": "--layout",
    "on_error": "--on-error",
    "n_jobs": "--n-jobs",
    "feature_set": "--feature-set",
    "sr": "--sr",
    "random_state": "--random-state",
    "noise_mode": "--noise-mode",
    "snrs": "--snrs",
    "n_splits": None,  # the command chooses the number of folds itself
}
# What to do instead, for a command that has no flag for a parameter a message names.
_NO_FLAG_ADVICE = {
    ("predict", "on_error"): "remove that file from the command line (or convert it to WAV) "
                             "and rerun",
    ("evaluate", "n_splits"): "give every corpus at least two speakers, or evaluate across "
                              "corpora only by leaving out the corpus with too few speakers",
}
_PARAM = re.compile(
    r"\b(?P<name>[a-z][a-z_]*)=(?P<value>'[^']*'|\"[^\"]*\"|[A-Za-z0-9_.+-]+)?"
)


def _command_flags(parser, command):
    """Option strings of a command's parser (``{"--layout", ...}``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return set(action.choices[command]._option_string_actions)
    return set()


def in_cli_terms(text, command, flags):
    """Rewrite a library message's advice in the command's terms.

    ``pass layout= one of ...`` becomes ``pass --layout one of ...`` and ``on_error='skip'``
    becomes ``--on-error skip`` where the command has that flag. Where it has none, the
    sentence giving that advice is replaced by what to do with this command.

    Examples
    --------
    >>> in_cli_terms("cannot tell the layout; pass layout= one of emodb, urdu.", "extract",
    ...              {"--layout"})
    'cannot tell the layout; pass --layout one of emodb, urdu.'
    >>> in_cli_terms("cannot read x.wav. Pass on_error='skip' to continue.", "predict", set())
    'cannot read x.wav. Remove that file from the command line (or convert it to WAV) and rerun.'
    """
    dropped = []

    def replace(match):
        name, value = match.group("name"), match.group("value")
        flag = _PARAM_FLAGS.get(name, "")
        if flag == "" or name not in _PARAM_FLAGS:
            return match.group(0)
        if flag is None or flag not in flags:
            dropped.append(name)
            return match.group(0)
        return flag if value is None else f"{flag} {value.strip(chr(39) + chr(34))}"

    sentences = re.split(r"(?<=[.;])\s+", text)
    out = []
    for sentence in sentences:
        before = len(dropped)
        rewritten = _PARAM.sub(replace, sentence)
        if len(dropped) > before:
            advice = _NO_FLAG_ADVICE.get((command, dropped[-1]))
            if advice:
                out.append(advice[0].upper() + advice[1:] + ".")
            continue
        out.append(rewritten)
    return " ".join(dict.fromkeys(out))


def _warning_printer(command, flags):
    """``warnings.showwarning`` for the command: one line per distinct warning, no source."""
    seen = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = in_cli_terms(" ".join(str(message).split()), command, flags)
        if text in seen:
            return
        seen.add(text)
        print(f"{PROG} {command}: warning: {text}", file=sys.stderr if file is None else file)

    return show
