"""Self-supervised speech embeddings (wav2vec 2.0, HuBERT, WavLM) as the features of EDRL-MEA.

Pools a middle hidden layer of a pretrained speech model into one vector per utterance with
:class:`skser.features.SSLEmbeddings` (mean and standard deviation over the frames), then
trains the default EDRL-MEA pipeline on one synthetic corpus and tests it on another, next to
the same pipeline on ``egemaps_like`` features.

Needs the optional ``transformers`` package: ``pip install skser[ssl]``.

Run ``python examples/ssl_embeddings.py --model microsoft/wavlm-base-plus`` (any wav2vec 2.0,
HuBERT or WavLM checkpoint of the Hugging Face hub, downloaded once, or a local folder).
``--quick`` (or ``SKSER_EXAMPLE_QUICK=1``) needs no download: it builds a tiny randomly
initialised wav2vec 2.0 in a temporary folder, so its numbers only show that everything runs.
"""

import argparse
import os
import tempfile

from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from skser import EDRLTransformer, MEATransformer
from skser.datasets import make_speech_corpus
from skser.features import AcousticFeatures, SSLEmbeddings
from skser.metrics import uar_score
from skser.model_selection import train_test_corpus_split
from skser.preprocessing import standardize_per_group

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", default="facebook/wav2vec2-base",
                    help="hub id or local folder of the speech model (default: %(default)s)")
parser.add_argument("--layer", default="middle",
                    help="hidden layer: an index, or middle / last (default: %(default)s)")
parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default: %(default)s)")
parser.add_argument("--quick", action="store_true",
                    help="a tiny random model (no download), small data, short training")
args = parser.parse_args()
quick = args.quick or os.environ.get("SKSER_EXAMPLE_QUICK") == "1"

model, layer = args.model, args.layer
if quick:
    # A stand-in for a downloaded checkpoint: the wav2vec 2.0 architecture, random weights.
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model
    from transformers.utils import logging

    logging.disable_progress_bar()
    model = os.path.join(tempfile.mkdtemp(), "tiny-wav2vec2")
    config = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=64, conv_dim=(32,) * 7,
                            num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    Wav2Vec2Model(config).save_pretrained(model)
    Wav2Vec2FeatureExtractor(do_normalize=True).save_pretrained(model)
layer = int(layer) if layer.lstrip("-").isdigit() else layer

# 1. Synthetic speech of two corpora.
signals, meta = make_speech_corpus(
    n_corpora=2,
    n_speakers=3 if quick else 6,
    n_utterances=2 if quick else 4,
    duration=(0.6, 0.9) if quick else (1.0, 1.5),
    random_state=0,
)
y, corpus = meta["emotion"].to_numpy(), meta["corpus"].to_numpy()

# 2. Two feature sets: SSL embeddings and skser's eGeMAPS-like functionals.
ssl = SSLEmbeddings(model, layer=layer, pooling="mean_std", device=args.device)
features = {
    "SSL embeddings": ssl.fit_transform(signals),
    "egemaps_like": AcousticFeatures(feature_set="egemaps_like").fit_transform(signals),
}
names = ssl.get_feature_names_out()
print(f"SSL embeddings: {len(names)} features, e.g. {names[0]} ... {names[-1]}")

# 3. The same pipeline on each, trained on synth0 and tested on synth1.
for name, X in features.items():
    X = standardize_per_group(X, corpus)  # each corpus with its own statistics
    X_train, X_test, y_train, y_test = train_test_corpus_split(
        X, y, corpus=corpus, train="synth0", test="synth1"
    )
    pipe = Pipeline([
        ("edrl", EDRLTransformer(n_components=16, max_epochs=40 if quick else 150,
                                 random_state=0)),
        ("mea", MEATransformer(n_components=4 if quick else 10)),
        ("svc", SVC(class_weight="balanced")),
    ])
    pipe.fit(X_train, y_train)
    uar = uar_score(y_test, pipe.predict(X_test))
    print(f"EDRL-MEA + SVC on {name} ({X.shape[1]} features), synth0 -> synth1: "
          f"UAR = {uar:.3f} (chance {1 / len(set(y)):.3f})")
