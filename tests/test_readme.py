"""Every ```python block of README.md runs as written (on small data made here)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)

# Substitutions that keep the blocks fast (the README shows the defaults).
FAST = {"EDRLTransformer()": "EDRLTransformer(max_epochs=5)"}


def _write_corpora(root):
    """Tiny EmoDB- and URDU-layout folders of synthetic speech (the layouts users have)."""
    import soundfile as sf

    from skser.datasets import make_speech_corpus

    signals, meta = make_speech_corpus(n_corpora=2, n_speakers=3, n_utterances=1,
                                       duration=0.5, random_state=0)
    emodb_letter = {"angry": "W", "happy": "F", "neutral": "N", "sad": "T"}
    urdu_folder = {"angry": "Angry", "happy": "Happy", "neutral": "Neutral", "sad": "Sad"}
    (root / "emodb").mkdir()
    for k, (x, r) in enumerate(zip(signals, meta.itertuples())):
        i = int(str(r.speaker).rsplit(":", 1)[1])  # speaker number within its corpus
        if r.corpus == "synth0":  # EmoDB: <speaker><text><emotion letter><version>.wav
            name = f"{('03', '08', '09')[i]}a{k:02d}{emodb_letter[r.emotion]}a.wav"
            sf.write(root / "emodb" / name, x, 16000)
        else:  # URDU: <class>/S<gender><id>_F<nn>_<emotion letter><nnn>.wav
            folder = root / "urdu" / urdu_folder[r.emotion]
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{('SM1', 'SF2', 'SM3')[i]}_F{k:02d}_{r.emotion[0].upper()}{k:03d}.wav"
            sf.write(folder / name, x, 16000)


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 2
    assert any("load_corpus(" in b for b in BLOCKS)  # the real-audio route is shown


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.splitlines()[-1][:40])
def test_readme_block_runs(block, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    if "load_corpus(" in block:
        (tmp_path / "data").mkdir()
        _write_corpora(tmp_path / "data")
    for old, new in FAST.items():
        block = block.replace(old, new)
    namespace = {}
    exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the README's code
    out = capsys.readouterr().out
    assert out.strip()  # every block prints its result
    if "cross_corpus_evaluate" in block:
        table = namespace["table"]
        assert set(table["train"]) == {"emodb", "urdu"}
        assert np.isfinite(table["value"]).all()
