"""Plot functions draw what they are given (off-screen, Agg backend)."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.decomposition import TruncatedSVD  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from skser.model_selection import cross_corpus_evaluate  # noqa: E402
from skser.plotting import (  # noqa: E402
    parse_snr,
    plot_block_importances,
    plot_confusion_matrices,
    plot_embedding,
    plot_uar_vs_snr,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _table(pipeline, values):
    conditions = ["clean", "babble 0 dB", "babble 10 dB", "white 0 dB", "white 10 dB"]
    rows = []
    for train, test, offset in (("a", "b", 0.0), ("b", "a", 0.1), ("a", "a", 0.2)):
        for condition, value in zip(conditions, values):
            rows.append((pipeline, train, test, condition, "uar", value + offset, 10))
            rows.append((pipeline, train, test, condition, "wa", 0.0, 10))
    return pd.DataFrame(
        rows, columns=["pipeline", "train", "test", "condition", "metric", "value", "n"]
    )


@pytest.mark.parametrize(
    ("name", "snr"),
    [("babble 0 dB", 0.0), ("white -5dB", -5.0), ("car +2.5 db", 2.5), ("Clean", np.inf)],
)
def test_parse_snr(name, snr):
    assert parse_snr(name) == snr


def test_parse_snr_without_snr():
    assert np.isnan(parse_snr("reverb"))


def test_uar_vs_snr_one_line_per_pipeline():
    table = pd.concat(
        [_table("svc", [0.7, 0.3, 0.5, 0.4, 0.6]), _table("mea", [0.8, 0.5, 0.7, 0.6, 0.7])]
    )
    fig = plot_uar_vs_snr(table, pairs="cross")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["svc", "mea"]
    # x: 0 dB, 10 dB, then clean; y: mean over noise types and the two cross pairs
    np.testing.assert_allclose(lines[0].get_ydata(), [0.35 + 0.05, 0.55 + 0.05, 0.7 + 0.05])
    x = lines[0].get_xdata()
    assert x[0] == 0 and x[1] == 10 and x[2] > 10
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "10", "clean"]
    assert ax.get_ylabel() == "UAR"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["svc", "mea"]


def test_uar_vs_snr_by_noise_and_pairs():
    table = _table("svc", [0.7, 0.3, 0.5, 0.4, 0.6])
    fig = plot_uar_vs_snr(table, by_noise=True, pairs="within")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["svc (babble)", "svc (white)"]
    np.testing.assert_allclose(lines[1].get_ydata(), [0.6, 0.8, 0.9])


def test_uar_vs_snr_snr_column_and_given_axes():
    table = pd.DataFrame(
        {
            "train": "a",
            "test": "b",
            "metric": "uar",
            "condition": ["clean", "street", "street", "reverb"],
            "snr_db": [np.nan, -5, 5, np.nan],
            "value": [0.8, 0.3, 0.6, 0.5],
        }
    )
    fig0, ax = plt.subplots()
    fig = plot_uar_vs_snr(table, ax=ax, title="noise")
    assert fig is fig0 and ax.get_title() == "noise"
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [0.3, 0.6, 0.8])  # "reverb" has no SNR
    assert ax.get_legend() is None


def test_uar_vs_snr_from_an_evaluation_table():
    X, y = make_classification(
        n_samples=80, n_features=5, n_informative=3, n_redundant=0, random_state=0
    )
    corpus = np.repeat(["a", "b"], 40)
    noise = np.random.default_rng(0).normal(size=X.shape)
    conditions = {f"white {snr} dB": X + noise * 10 ** (-snr / 20) for snr in (0, 10, 20)}
    table = cross_corpus_evaluate(
        LogisticRegression(), X, y, corpus, conditions=conditions, n_splits=2
    )
    fig = plot_uar_vs_snr(table)
    (line,) = fig.axes[0].get_lines()
    assert len(line.get_xdata()) == 4


def test_uar_vs_snr_errors():
    table = _table("svc", [0.7, 0.3, 0.5, 0.4, 0.6])
    with pytest.raises(ValueError, match="No rows with metric 'f1'"):
        plot_uar_vs_snr(table, metric="f1")
    with pytest.raises(ValueError, match="No noisy condition with an SNR"):
        plot_uar_vs_snr(table[table["condition"] == "clean"])
    with pytest.raises(ValueError, match="pairs"):
        plot_uar_vs_snr(table, pairs="some")
    with pytest.raises(ValueError, match="lacks the columns"):
        plot_uar_vs_snr(table.drop(columns="metric"))


def test_confusion_matrices_grid():
    y = np.array(["ang", "ang", "hap", "neu", "sad", "sad"])
    preds = {
        "svc": np.array(["ang", "hap", "hap", "neu", "sad", "neu"]),
        "pca+svc": np.array(["ang"] * 6),
        "edrl-mea": y,
    }
    fig = plot_confusion_matrices(y, preds, ncols=2)
    assert len(fig.axes) == 3
    # numpy integers (e.g. from a grid of settings) are integers too; bools are not.
    assert len(plot_confusion_matrices(y, preds, ncols=np.int64(2)).axes) == 3
    with pytest.raises(ValueError, match="ncols must be a positive integer, got True"):
        plot_confusion_matrices(y, preds, ncols=True)
    assert fig.axes[2].get_title() == "edrl-mea\nUAR 1.00"
    assert fig.axes[0].get_title() == "svc\nUAR 0.75"
    labels = ["ang", "hap", "neu", "sad"]
    image = fig.axes[0].get_images()[0].get_array()
    np.testing.assert_allclose(
        image, confusion_matrix(y, preds["svc"], labels=labels, normalize="true")
    )
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == labels
    assert len(fig.axes[0].texts) == 16
    counts = plot_confusion_matrices(y, {"svc": preds["svc"]}, normalize=None, labels=labels)
    assert counts.axes[0].texts[0].get_text() == "1"


def test_confusion_matrices_errors():
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_confusion_matrices([1, 2], {})
    with pytest.raises(ValueError, match=r"'m' have shape \(1,\)"):
        plot_confusion_matrices([1, 2], {"m": [1]})


def _fake_mea():
    return SimpleNamespace(
        block_importances_=np.array([[0.6, 0.2, 0.5], [0.4, 0.8, 0.5]]),
        blocks_={"intra": slice(0, 4), "inter": slice(4, 8)},
    )


def test_block_importances_stacked_bars():
    fig = plot_block_importances(_fake_mea())
    (ax,) = fig.axes
    assert len(ax.containers) == 2
    assert len(ax.patches) == 2 * 3
    np.testing.assert_allclose([p.get_height() for p in ax.containers[1]], [0.4, 0.8, 0.5])
    np.testing.assert_allclose([p.get_y() for p in ax.containers[1]], [0.6, 0.2, 0.5])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["intra", "inter"]


def test_block_importances_names_normalise_and_pipeline():
    mea = _fake_mea()
    mea.block_importances_ = mea.block_importances_ * 4
    mea.block_names_ = ["emotion", "shared"]
    pipe = SimpleNamespace(steps=[("scale", object()), ("mea", mea), ("svc", object())])
    fig = plot_block_importances(pipe, normalize=True)
    ax = fig.axes[0]
    np.testing.assert_allclose([p.get_height() for p in ax.containers[0]], [0.6, 0.2, 0.5])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["emotion", "shared"]
    fig = plot_block_importances(SimpleNamespace(block_importances_=np.ones((3, 2))))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["block 0", "block 1", "block 2"]


def test_block_importances_errors():
    with pytest.raises(ValueError, match="no block_importances_"):
        plot_block_importances(LogisticRegression())
    with pytest.raises(ValueError, match="block_names has 1 names"):
        plot_block_importances(_fake_mea(), block_names=["x"])
    with pytest.raises(ValueError, match="shape"):
        plot_block_importances(SimpleNamespace(block_importances_=np.ones(3)))


def test_embedding_two_panels(rng):
    X = rng.normal(size=(40, 6))
    emotion = np.array(["ang", "hap", "sad", "neu"] * 10)
    corpus = np.repeat(["a", "b"], 20)
    fig = plot_embedding(X, emotion, corpus)
    left, right = fig.axes
    assert len(left.collections) == 4 and len(right.collections) == 2
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["a", "b"]
    assert left.get_xlabel() == "PC 1"
    assert sum(len(c.get_offsets()) for c in left.collections) == 40


def test_embedding_methods(rng):
    X = rng.normal(size=(30, 5))
    emotion = np.array(["ang", "sad", "neu"] * 10)
    fig = plot_embedding(X[:, :2], emotion, method="none")
    assert len(fig.axes) == 1
    np.testing.assert_allclose(fig.axes[0].collections[0].get_offsets(), X[emotion == "ang", :2])
    fig = plot_embedding(X, emotion, emotion, method=TruncatedSVD(n_components=2))
    assert fig.axes[0].get_xlabel() == "TruncatedSVD 1"
    with pytest.raises(ValueError, match="method must be"):
        plot_embedding(X, emotion, method="umap")
    with pytest.raises(ValueError, match="2-column X"):
        plot_embedding(X, emotion, method="none")
    message = r"corpus must hold one label per row \(\d+ rows\), got shape \(1,\)"
    with pytest.raises(ValueError, match=message):
        plot_embedding(X, emotion, ["a"])
    with pytest.raises(ValueError, match=r"corpus has 1 missing label\(s\)"):
        plot_embedding(X, emotion, np.r_[[None], emotion[1:]])


def test_a_missing_matplotlib_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skser\[plot\]"):
        plot_embedding(np.ones((4, 2)), [0, 1, 0, 1], method="none")


def test_plotting_pipeline_steps_are_found():
    # Pipeline objects expose .steps like the stand-in above.
    pipe = Pipeline([("lr", LogisticRegression())])
    with pytest.raises(ValueError, match="Pipeline has no block_importances_"):
        plot_block_importances(pipe)


def test_block_importances_of_a_fitted_mea_are_named_after_its_x_blocks():
    from skser import MEATransformer
    from skser._layout import BlockLayout, LayoutArray

    rng = np.random.default_rng(0)
    layout = BlockLayout(("intra", "inter", "input"), (3, 3, 4))
    mea = MEATransformer(n_components=2).fit(LayoutArray(rng.normal(size=(30, 10)), layout))
    fig = plot_block_importances(mea)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["intra", "inter"]


def test_uar_vs_snr_one_panel_per_pair_in_percent_with_chance():
    table = pd.concat(
        [_table("svc", [0.7, 0.3, 0.5, 0.4, 0.6]), _table("mea", [0.8, 0.5, 0.7, 0.6, 0.7])]
    )
    fig = plot_uar_vs_snr(table, pairs="each", by_noise=True, percent=True, chance=0.25,
                          title="UAR against SNR")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    # Within-corpus first, then the directions, never averaged together.
    assert [ax.get_title() for ax in axes] == [
        "within a (held-out folds)", "a → b", "b → a"]
    a_to_b = axes[1]
    lines = {line.get_label(): line for line in a_to_b.get_lines()}
    assert set(lines) == {"svc (babble)", "svc (white)", "mea (babble)", "mea (white)",
                          "chance (25%)"}
    # svc babble on a -> b: 0 dB 0.3, 10 dB 0.5, clean 0.7, in percent.
    np.testing.assert_allclose(lines["svc (babble)"].get_ydata(), [30, 50, 70])
    np.testing.assert_allclose(lines["chance (25%)"].get_ydata(), [25, 25])
    # b -> a is its own panel (offset 0.1), not averaged with a -> b.
    b_to_a = {line.get_label(): line for line in axes[2].get_lines()}
    np.testing.assert_allclose(b_to_a["svc (white)"].get_ydata(), [50, 70, 80])
    assert a_to_b.get_ylabel() == "UAR (%)"
    assert fig._suptitle.get_text() == "UAR against SNR"
    assert len(fig.legends) == 1
    with pytest.raises(ValueError, match="pairs='each' draws one panel per pair"):
        plot_uar_vs_snr(table, pairs="each", ax=plt.subplots()[1])
    with pytest.raises(ValueError, match="chance must be a fraction"):
        plot_uar_vs_snr(table, chance=25)


def test_uar_vs_snr_title_says_what_is_averaged():
    fig = plot_uar_vs_snr(_table("svc", [0.7, 0.3, 0.5, 0.4, 0.6]))
    assert fig.axes[0].get_title() == (
        "mean of 3 train → test pairs (1 within-corpus), mean of 2 noise types")


def test_block_importance_labels_and_legend_stay_inside_the_saved_figure(tmp_path):
    fig = plot_block_importances(_fake_mea(), title="MEA blocks")
    fig.savefig(tmp_path / "b.png")  # plain savefig, no bbox_inches="tight"
    renderer = fig.canvas.get_renderer()
    figure_box = fig.bbox
    ax = fig.axes[0]
    legend_box = ax.get_legend().get_window_extent(renderer)
    for box in (legend_box, ax.yaxis.label.get_window_extent(renderer),
                ax.xaxis.label.get_window_extent(renderer)):
        assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1
        assert figure_box.y0 <= box.y0 and box.y1 <= figure_box.y1
    # The legend is beside the bars, not over them.
    assert legend_box.x0 >= ax.get_window_extent(renderer).x1
