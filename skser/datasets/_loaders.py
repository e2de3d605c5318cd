"""Corpus loaders: one table of files and labels for every corpus layout users have."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd

from ._labels import harmonize_label, harmonize_labels

COLUMNS = ["path", "emotion", "speaker", "gender", "corpus", "label"]
LAYOUTS = ("emodb", "ravdess", "crema-d", "tess", "savee", "urdu", "emovo", "ased", "iemocap",
           "folders", "csv")


def _audio_exts():
    # The one list of audio extensions, shared with every command (imported on use so that
    # the corpus tables do not load the audio stack).
    from ..features._audio_io import AUDIO_EXTENSIONS

    return AUDIO_EXTENSIONS


# ----------------------------------------------------------------------------- per-file parsers
# Each parser takes (file, root) and returns a row dict (without "path") or None when the file
# does not follow the corpus' naming.

_EMODB_RE = re.compile(r"^(\d{2})([a-z]\d{2})([WLEAFTN])([a-z])$")
_EMODB_EMOTION = {"W": "angry", "L": "boredom", "E": "disgust", "A": "fearful",
                  "F": "happy", "T": "sad", "N": "neutral"}
_EMODB_MALE = {"03", "10", "11", "12", "15"}
_EMODB_FEMALE = {"08", "09", "13", "14", "16"}


def _parse_emodb(f: Path, root: Path):
    m = _EMODB_RE.match(f.stem)
    if not m:
        return None
    spk, _, code, _ = m.groups()
    gender = "male" if spk in _EMODB_MALE else "female" if spk in _EMODB_FEMALE else None
    return {"emotion": _EMODB_EMOTION[code], "speaker": f"emodb:{spk}", "gender": gender,
            "corpus": "emodb", "label": code}


_RAVDESS_RE = re.compile(r"^(\d{2})-(\d{2})-(0[1-8])-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")
_RAVDESS_EMOTION = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry",
                    "06": "fearful", "07": "disgust", "08": "surprised"}


def _parse_ravdess(f: Path, root: Path):
    m = _RAVDESS_RE.match(f.stem)
    if not m:
        return None
    code, actor = m.group(3), m.group(7)
    return {"emotion": _RAVDESS_EMOTION[code], "speaker": f"ravdess:{actor}",
            "gender": "male" if int(actor) % 2 else "female", "corpus": "ravdess",
            "label": code}


_CREMAD_RE = re.compile(r"^(\d{4})_([A-Z]{3})_(ANG|DIS|FEA|HAP|NEU|SAD)_([A-Z]{1,2})$")
_CREMAD_EMOTION = {"ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy",
                   "NEU": "neutral", "SAD": "sad"}


def _cremad_genders(root: Path) -> dict:
    """Actor -> gender from the VideoDemographics.csv that ships with CREMA-D, when present."""
    for folder in (root, *root.parents[:2]):
        csv = folder / "VideoDemographics.csv"
        if csv.is_file():
            try:
                demo = pd.read_csv(csv)
                return {str(a): str(s).strip().lower() for a, s in zip(demo["ActorID"], demo["Sex"])
                        if str(s).strip().lower() in ("male", "female")}
            except (KeyError, ValueError, OSError):
                return {}
    return {}


def _parse_cremad(f: Path, root: Path):
    m = _CREMAD_RE.match(f.stem)
    if not m:
        return None
    actor, _, code, _ = m.groups()
    return {"emotion": _CREMAD_EMOTION[code], "speaker": f"crema-d:{actor}", "gender": None,
            "corpus": "crema-d", "label": code}


_TESS_RE = re.compile(r"^(OAF|YAF)_(.+)_(angry|disgust|fear|happy|neutral|ps|sad)$", re.I)


def _parse_tess(f: Path, root: Path):
    m = _TESS_RE.match(f.stem)
    if not m:
        return None
    spk, _, code = m.groups()
    return {"emotion": harmonize_label(code), "speaker": f"tess:{spk.upper()}",
            "gender": "female", "corpus": "tess", "label": code.lower()}


_SAVEE_SPEAKERS = ("DC", "JE", "JK", "KL")
_SAVEE_RE = re.compile(r"^(?:(DC|JE|JK|KL)_)?(sa|su|a|d|f|h|n)(\d{2})$")
_SAVEE_EMOTION = {"a": "angry", "d": "disgust", "f": "fearful", "h": "happy", "n": "neutral",
                  "sa": "sad", "su": "surprised"}


def _parse_savee(f: Path, root: Path):
    m = _SAVEE_RE.match(f.stem)
    if not m:
        return None
    spk, code, _ = m.groups()
    if spk is None:  # original layout AudioData/<speaker>/a01.wav
        spk = f.parent.name
        if spk not in _SAVEE_SPEAKERS:
            return None
    return {"emotion": _SAVEE_EMOTION[code], "speaker": f"savee:{spk}", "gender": "male",
            "corpus": "savee", "label": code}


_URDU_RE = re.compile(r"^S([MF])(\d+)_F(\d+)_([AHNS])(\d+)$")
_URDU_EMOTION = {"A": "angry", "H": "happy", "N": "neutral", "S": "sad"}


def _parse_urdu(f: Path, root: Path):
    m = _URDU_RE.match(f.stem)
    if not m:
        return None
    g, spk, _, code, _ = m.groups()
    folder = f.parent.name
    emotion = harmonize_label(folder) or _URDU_EMOTION[code]
    return {"emotion": emotion, "speaker": f"urdu:S{g}{spk}",
            "gender": "male" if g == "M" else "female", "corpus": "urdu",
            "label": folder if harmonize_label(folder) else code}


_EMOVO_RE = re.compile(r"^(dis|gio|neu|pau|rab|sor|tri)-([fm][1-9])-([a-z]+\d*)$")
_EMOVO_EMOTION = {"dis": "disgust", "gio": "happy", "neu": "neutral", "pau": "fearful",
                  "rab": "angry", "sor": "surprised", "tri": "sad"}


def _parse_emovo(f: Path, root: Path):
    m = _EMOVO_RE.match(f.stem)
    if not m:
        return None
    code, spk, sentence = m.groups()
    return {"emotion": _EMOVO_EMOTION[code], "speaker": f"emovo:{spk}",
            "gender": "male" if spk[0] == "m" else "female", "corpus": "emovo", "label": code,
            "sentence": sentence}


_ASED_RE = re.compile(r"^([afhns])(\d)-(\d{2})-(\d{2})-(0[12])-(\d{2})$")
_ASED_EMOTION = {"a": "angry", "f": "fearful", "h": "happy", "n": "neutral", "s": "sad"}


def _parse_ased(f: Path, root: Path):
    m = _ASED_RE.match(f.stem)
    if not m:
        return None
    code, _, sentence, repetition, gender, spk = m.groups()
    return {"emotion": _ASED_EMOTION[code], "speaker": f"ased:{spk}",
            "gender": "female" if gender == "01" else "male", "corpus": "ased", "label": code,
            "sentence": sentence, "repetition": repetition}


_PARSERS = {"emodb": _parse_emodb, "ravdess": _parse_ravdess, "crema-d": _parse_cremad,
            "tess": _parse_tess, "savee": _parse_savee, "urdu": _parse_urdu,
            "emovo": _parse_emovo, "ased": _parse_ased}
# Fields some layouts' file names carry beyond COLUMNS; they follow COLUMNS when present.
_EXTRA_COLUMNS = ("sentence", "repetition")

# ----------------------------------------------------------------------------- helpers


def _audio_files(root: Path) -> list[Path]:
    """Audio files under root, recursively, skipping hidden files (e.g. macOS ``._`` copies)."""
    exts = _audio_exts()
    return sorted(
        p for p in root.rglob("*")
        if p.suffix.lower() in exts and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _frame(rows: list[dict], what: str) -> pd.DataFrame:
    if not rows:
        raise ValueError(f"{what}: no labelled audio files found; the corpus is empty.")
    extra = [c for c in _EXTRA_COLUMNS if any(c in r for r in rows)]
    df = pd.DataFrame(rows, columns=COLUMNS + extra)
    df = df.sort_values("path", kind="stable").reset_index(drop=True)
    return df


def _load_named(root: Path, layout: str) -> pd.DataFrame:
    files = _audio_files(root)
    if not files:
        raise ValueError(f"no audio files ({', '.join(_audio_exts())}) under {root}.")
    parse = _PARSERS[layout]
    rows, skipped = [], []
    for f in files:
        row = parse(f, root)
        if row is None:
            skipped.append(f.name)
            continue
        rows.append({"path": str(f), **row})
    if layout == "crema-d" and rows:
        genders = _cremad_genders(root)
        for r in rows:
            r["gender"] = genders.get(r["speaker"].split(":", 1)[1])
    if skipped and rows:
        warnings.warn(
            f"{len(skipped)} of {len(files)} audio files under {root} do not follow the "
            f"{layout} naming and were skipped, e.g. {skipped[:3]}.",
            UserWarning,
            stacklevel=3,
        )
    if not rows:
        raise ValueError(
            f"none of the {len(files)} audio files under {root} follows the {layout} naming "
            f"(e.g. {skipped[:3]}); check the layout argument (layouts: {', '.join(LAYOUTS)})."
        )
    return _frame(rows, f"{layout} corpus at {root}")


_IEMOCAP_LINE = re.compile(
    r"^\[\s*[\d.]+\s*-\s*[\d.]+\s*\]\s+(\S+)\s+(\S+)\s+\[([^\]]*)\]?")
_IEMOCAP_RATINGS = ("valence", "arousal", "dominance")  # the order of [V, A, D] in the files


def _iemocap_ratings(text: str):
    """The three numbers of ``[2.5000, 3.0000, 3.5000]`` as floats, or None if malformed."""
    parts = text.split(",")
    if len(parts) != 3:
        return None
    try:
        return tuple(float(p) for p in parts)
    except ValueError:
        return None


def _load_iemocap(root: Path) -> pd.DataFrame:
    """IEMOCAP: one row per labelled turn, with its mean ``[V, A, D]`` ratings.

    Each turn's header line in ``EmoEvaluation/<dialog>.txt`` reads
    ``[start - end]<TAB>utterance<TAB>category<TAB>[V, A, D]``: the category code and the
    evaluators' mean valence, activation (arousal) and dominance on IEMOCAP's 1-5 scale
    (Busso et al., "IEMOCAP: interactive emotional dyadic motion capture database",
    *Language Resources and Evaluation* 42(4), 2008). They become float columns
    ``valence``, ``arousal`` and ``dominance``, NaN where a header's ratings are malformed
    (with a warning naming the file).
    """
    evals = sorted(p for p in root.rglob("*.txt") if p.parent.name == "EmoEvaluation")
    if not evals:
        raise ValueError(f"no EmoEvaluation/*.txt label files under {root} (IEMOCAP layout).")
    rows, missing, malformed = [], 0, []
    for txt in evals:
        session = txt.parent.parent.parent  # SessionN/dialog/EmoEvaluation/<dialog>.txt
        for line in txt.read_text(errors="replace").splitlines():
            m = _IEMOCAP_LINE.match(line)
            if not m:
                continue
            utt, code, vad = m.groups()
            dialog = utt.rsplit("_", 1)[0]
            wav = session / "sentences" / "wav" / dialog / f"{utt}.wav"
            if not wav.is_file():
                missing += 1
                continue
            g = utt.rsplit("_", 1)[1][:1].upper()  # the speaker of this turn: F000 / M012
            sess = re.match(r"Ses(\d+)", utt)
            sess_id = sess.group(1) if sess else session.name
            values = _iemocap_ratings(vad)
            if values is None:
                malformed.append(f"{txt.name}: {utt} [{vad}]")
                values = (float("nan"),) * 3
            rows.append({"path": str(wav), "emotion": harmonize_label(code),
                         "speaker": f"iemocap:{sess_id}{g}",
                         "gender": {"F": "female", "M": "male"}.get(g), "corpus": "iemocap",
                         "label": code, **dict(zip(_IEMOCAP_RATINGS, values))})
    if missing:
        warnings.warn(f"{missing} utterances labelled in EmoEvaluation files under {root} have "
                      "no wav file under sentences/wav and were skipped.", UserWarning,
                      stacklevel=3)
    if malformed:
        warnings.warn(f"{len(malformed)} turns in EmoEvaluation files under {root} have no "
                      f"readable [valence, arousal, dominance] ratings, e.g. {malformed[:3]}; "
                      "their ratings are left missing (NaN).", UserWarning, stacklevel=3)
    table = _frame(rows, f"IEMOCAP corpus at {root}")  # the shared columns, sorted by path
    ordered = pd.DataFrame(rows).sort_values("path", kind="stable")  # the same stable order
    for name in _IEMOCAP_RATINGS:
        table[name] = ordered[name].to_numpy(dtype=float)
    return table


def _load_folders(root: Path) -> pd.DataFrame:
    corpus = root.name.lower()
    rows = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for f in _audio_files(sub):
            rows.append({"path": str(f), "emotion": None, "speaker": None, "gender": None,
                         "corpus": corpus, "label": sub.name})
    if not rows:
        raise ValueError(f"no class folders with audio files under {root} (folders layout: "
                         f"<root>/<class>/*.wav).")
    emotions = harmonize_labels([r["label"] for r in rows], warn=True)
    for r, e in zip(rows, emotions):
        r["emotion"] = e
    return _frame(rows, f"folder corpus at {root}")


def _load_csv(csv: Path) -> pd.DataFrame:
    table = pd.read_csv(csv)
    table.columns = [str(c).strip().lower() for c in table.columns]
    if "path" not in table.columns or not ({"label", "emotion"} & set(table.columns)):
        raise ValueError(f"the manifest {csv} needs a 'path' column and a 'label' or 'emotion' "
                         f"column; it has {list(table.columns)}.")
    if table.empty:
        raise ValueError(f"the manifest {csv} has no rows; the corpus is empty.")
    paths = []
    for p in table["path"].astype(str):
        q = Path(p)
        paths.append(p if "://" in p else str(q if q.is_absolute() else csv.parent / q))
    # URLs (s3://, gs://...) are read through fsspec where the audio is read, not checked here
    missing = [p for p in paths if "://" not in p and not Path(p).is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} files listed in {csv} do not exist, e.g. "
                                f"{missing[:3]}; paths are read relative to the manifest's folder.")
    label = table["label"] if "label" in table.columns else table["emotion"]
    source = table["emotion"] if "emotion" in table.columns else table["label"]
    if "corpus" in table.columns:
        empty = table["corpus"].isna() | table["corpus"].astype(str).str.strip().eq("")
        if empty.any():
            raise ValueError(
                f"{int(empty.sum())} rows of the manifest {csv} have an empty 'corpus' cell, e.g. "
                f"{table.loc[empty, 'path'].astype(str).tolist()[:3]}; give every row its "
                "corpus, or drop the column to name every row after the manifest "
                f"({csv.stem.lower()!r}).")
    corpus = (table["corpus"].astype(str) if "corpus" in table.columns
              else pd.Series([csv.stem.lower()] * len(table)))
    no_emotion = source.isna() | source.astype(str).str.strip().eq("")
    if no_emotion.any():
        warnings.warn(
            f"{int(no_emotion.sum())} of {len(table)} rows of the manifest {csv} have an empty "
            f"{source.name!r} cell, e.g. {table.loc[no_emotion, 'path'].astype(str).tolist()[:3]}"
            "; their emotion is left missing, and evaluations leave them out.",
            UserWarning, stacklevel=3)
    if "speaker" in table.columns:
        speaker = [None if pd.isna(s) else (str(s) if ":" in str(s) else f"{c}:{s}")
                   for s, c in zip(table["speaker"], corpus)]
    else:
        speaker = [None] * len(table)
    if "gender" in table.columns:
        gmap = {"m": "male", "male": "male", "f": "female", "female": "female"}
        gender = [gmap.get(str(g).strip().lower()) if pd.notna(g) else None
                  for g in table["gender"]]
    else:
        gender = [None] * len(table)
    rows = [
        {"path": p, "emotion": e, "speaker": s, "gender": g, "corpus": c,
         "label": None if pd.isna(lab) else str(lab)}
        for p, e, s, g, c, lab in zip(paths, harmonize_labels(source), speaker, gender, corpus,
                                      label)
    ]
    return _frame(rows, f"manifest {csv}")


def detect_layout(path) -> str:
    """Guess the layout of a corpus folder (or manifest file).

    Parameters
    ----------
    path : str or path-like
        Corpus folder, or a CSV manifest.

    Returns
    -------
    str
        One of ``"emodb"``, ``"ravdess"``, ``"crema-d"``, ``"tess"``, ``"savee"``, ``"urdu"``,
        ``"emovo"``, ``"ased"``, ``"iemocap"``, ``"folders"`` or ``"csv"``.

    Raises
    ------
    FileNotFoundError
        When the path does not exist.
    ValueError
        When no layout matches (the message lists the layouts).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "03a01Wa.wav").write_bytes(b""); _ = (d / "08b02Ta.wav").write_bytes(b"")
    >>> detect_layout(d)
    'emodb'
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"corpus path {root} does not exist.")
    if root.is_file():
        if root.suffix.lower() == ".csv":
            return "csv"
        raise ValueError(f"{root} is a file but not a .csv manifest; give a corpus folder or a "
                         f"CSV manifest (layouts: {', '.join(LAYOUTS)}).")
    if any(p.parent.name == "EmoEvaluation" for p in root.rglob("*.txt")):
        return "iemocap"
    files = _audio_files(root)
    if not files:
        raise ValueError(f"no audio files ({', '.join(_audio_exts())}) under {root}; "
                         f"nothing to detect (layouts: {', '.join(LAYOUTS)}).")
    scores = {name: sum(parse(f, root) is not None for f in files) / len(files)
              for name, parse in _PARSERS.items()}
    best = max(scores, key=scores.get)
    if scores[best] >= 0.5:
        return best
    subdirs = [p for p in root.iterdir() if p.is_dir()]
    if (all(f.parent != root for f in files)
            and any(harmonize_label(p.name) is not None for p in subdirs)):
        return "folders"
    raise ValueError(
        f"cannot tell the layout of {root} ({len(files)} audio files, e.g. "
        f"{[f.name for f in files[:3]]}); pass layout= one of {', '.join(LAYOUTS)}. The "
        "'folders' layout is <root>/<class>/*.wav and 'csv' a manifest with path and label "
        "columns."
    )


def load_corpus(path, layout: str = "auto") -> pd.DataFrame:
    """Load a speech emotion corpus as a table of files and harmonised labels.

    Parameters
    ----------
    path : str or path-like
        The corpus folder (or a CSV manifest for ``layout="csv"``).
    layout : str, default="auto"
        How the corpus is laid out:

        - ``"emodb"``: ``SSTTTEV.wav`` (speaker, text, emotion letter W/L/E/A/F/T/N, version).
        - ``"ravdess"``: ``03-01-EE-II-SS-RR-AA.wav`` (emotion code EE, actor AA; odd = male).
        - ``"crema-d"``: ``1001_DFA_ANG_XX.wav``; genders from ``VideoDemographics.csv`` when
          it is in the folder (or one of its two parents), else missing.
        - ``"tess"``: ``OAF_back_angry.wav`` (speakers OAF / YAF, both female).
        - ``"savee"``: ``DC_a01.wav`` or ``DC/a01.wav`` (speakers DC, JE, JK, KL, all male).
        - ``"urdu"``: ``<Class>/S{M|F}{id}_F{nn}_{A|H|N|S}{nnn}.wav``.
        - ``"emovo"``: ``<speaker>/<emo>-<speaker>-<sentence>.wav``, e.g. ``m1/rab-m1-b2.wav``
          (emotion rab/gio/neu/tri/dis/pau/sor; speakers f1-f3 female, m1-m3 male).
        - ``"ased"``: ``<NN><Emotion>/<e><n>-<yy>-<aa>-<gg>-<bb>.wav``, e.g.
          ``05Angry/a5-03-01-02-50.wav`` (emotion letter a/f/h/n/s, sentence yy, repetition
          aa, gender gg: 01 female, 02 male, speaker bb).
        - ``"iemocap"``: labels from ``SessionN/dialog/EmoEvaluation/*.txt`` for
          ``SessionN/sentences/wav/<dialog>/<utt>.wav``; ``exc`` is harmonised to happy and
          ``fru``, ``oth``, ``xxx`` are left missing.
        - ``"folders"``: ``<root>/<class>/**/*.wav``; speakers unknown (missing).
        - ``"csv"``: a manifest with ``path`` (relative to the manifest's folder or absolute)
          and ``label`` or ``emotion`` columns, optionally ``speaker``, ``gender``,
          ``corpus``.
        - ``"auto"``: detected by :func:`detect_layout`.

    Returns
    -------
    pandas.DataFrame
        One row per utterance, sorted by path, with columns ``path`` (str), ``emotion``
        (harmonised: neutral, calm, happy, sad, angry, fearful, disgust, surprised, boredom;
        missing where the label is none of these), ``speaker`` (``"<corpus>:<id>"``, unique
        across corpora; missing where unknown), ``gender`` (``"male"``/``"female"``, missing
        where unknown), ``corpus`` and ``label`` (the corpus' own label). Layouts whose file
        names carry more add columns after these: ``sentence`` (EMOVO, ASED) and
        ``repetition`` (ASED), as strings.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        For an unknown layout, an undetectable layout or an empty corpus.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["03a01Wa.wav", "08b02Ta.wav", "03a04Nc.wav"]:
    ...     _ = (d / name).write_bytes(b"")
    >>> df = load_corpus(d)
    >>> df[["emotion", "speaker", "gender", "label"]].values.tolist()
    [['angry', 'emodb:03', 'male', 'W'], ['neutral', 'emodb:03', 'male', 'N'], ['sad', 'emodb:08', 'female', 'T']]
    """  # noqa: E501
    root = Path(path)
    if layout not in (*LAYOUTS, "auto"):
        raise ValueError(f"unknown layout {layout!r}; use one of 'auto', {', '.join(LAYOUTS)}.")
    if not root.exists():
        raise FileNotFoundError(f"corpus path {root} does not exist.")
    if layout == "auto":
        layout = detect_layout(root)
    if layout == "csv":
        if not root.is_file():
            raise ValueError(f"layout='csv' needs a manifest file, got the folder {root}.")
        return _load_csv(root)
    if not root.is_dir():
        raise ValueError(f"layout={layout!r} needs a corpus folder, got the file {root}.")
    if layout == "iemocap":
        return _load_iemocap(root)
    if layout == "folders":
        return _load_folders(root)
    return _load_named(root, layout)
