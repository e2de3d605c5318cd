"""Tests of EDRLTransformer: output contract, partner sampling, training, determinism, devices."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skser import EDRLTransformer, _edrl_training
from skser._edrl_training import PartnerSampler, mix_with_noise, mix_with_partners
from skser._layout import LayoutArray, find_layout

FAST = {"max_epochs": 3, "n_components": 4, "hidden_layer_sizes": (16,), "random_state": 0}


def _data(n_per_class=20, n_classes=3, n_features=6, seed=0, shift=2.0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    X = rng.normal(size=(y.size, n_features)) + shift * y[:, None]
    return X, y


# --------------------------------------------------------------------------------------------
# Output contract


def test_output_layout_names_and_passthrough():
    X, y = _data()
    edrl = EDRLTransformer(**FAST).fit(X, y)
    Z = edrl.transform(X)
    assert isinstance(Z, LayoutArray)
    assert Z.dtype == np.float64
    assert Z.shape == (60, 4 + 4 + 6)
    assert edrl.block_sizes_ == {"intra": 4, "inter": 4, "input": 6}
    assert find_layout(Z).as_dict() == edrl.block_sizes_
    names = edrl.get_feature_names_out()
    assert list(names[:5]) == ["intra__0", "intra__1", "intra__2", "intra__3", "inter__0"]
    assert list(names[8:]) == [f"input__x{i}" for i in range(6)]
    # The input block is X itself, unstandardised.
    np.testing.assert_array_equal(np.asarray(Z)[:, 8:], X)
    # The two embeddings are different functions of X.
    assert not np.allclose(Z[:, :4], Z[:, 4:8])


def test_no_passthrough():
    X, y = _data()
    edrl = EDRLTransformer(passthrough=False, **FAST).fit(X, y)
    Z = edrl.transform(X)
    assert Z.shape == (60, 8)
    assert Z.layout.names == ("intra", "inter")
    assert edrl.block_sizes_ == {"intra": 4, "inter": 4}
    assert len(edrl.get_feature_names_out()) == 8


def test_pandas_input_names_and_output():
    X, y = _data()
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    edrl = EDRLTransformer(**FAST).set_output(transform="pandas").fit(df, y)
    Z = edrl.transform(df)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns[-6:]) == [f"input__f{i}" for i in range(6)]
    assert find_layout(Z).as_dict() == {"intra": 4, "inter": 4, "input": 6}
    np.testing.assert_array_equal(edrl.feature_names_in_, df.columns)


def test_float32_input_gives_float64_and_same_embedding_as_subset():
    X, y = _data()
    edrl = EDRLTransformer(**FAST).fit(X, y)
    Z = edrl.transform(X)
    assert edrl.transform(X.astype(np.float32)).dtype == np.float64
    np.testing.assert_allclose(edrl.transform(X[:7]), Z[:7], rtol=1e-12, atol=1e-12)


def test_fitted_attributes_and_history():
    X, y = _data()
    edrl = EDRLTransformer(**FAST).fit(X, y)
    np.testing.assert_array_equal(edrl.classes_, [0, 1, 2])
    assert edrl.n_features_in_ == 6
    assert isinstance(edrl.intra_encoder_, torch.nn.Module)
    assert isinstance(edrl.inter_encoder_, torch.nn.Module)
    assert edrl.intra_encoder_ is not edrl.inter_encoder_
    assert len(edrl.history_) == edrl.n_iter_ <= 3
    assert 1 <= edrl.best_epoch_ <= edrl.n_iter_
    keys = {"epoch", "train_intra", "train_inter", "train_loss", "val_intra", "val_inter",
            "val_loss", "time"}
    for i, rec in enumerate(edrl.history_, start=1):
        assert set(rec) == keys
        assert rec["epoch"] == i
        assert rec["train_loss"] == pytest.approx(rec["train_intra"] + rec["train_inter"])
        assert rec["val_loss"] == pytest.approx(rec["val_intra"] + rec["val_inter"])
        assert np.isfinite(rec["train_loss"]) and rec["val_loss"] > 0
    np.testing.assert_allclose(edrl.mean_, X.mean(axis=0))


def test_without_early_stopping_runs_all_epochs():
    X, y = _data()
    edrl = EDRLTransformer(**{**FAST, "max_epochs": 4}, early_stopping=False).fit(X, y)
    assert edrl.n_iter_ == edrl.best_epoch_ == 4
    assert all(rec["val_loss"] is None for rec in edrl.history_)


def test_training_reduces_loss():
    X, y = _data(n_per_class=40)
    edrl = EDRLTransformer(n_components=4, hidden_layer_sizes=(16,), max_epochs=30,
                           early_stopping=False, batch_size=32, random_state=0).fit(X, y)
    first, last = edrl.history_[0], edrl.history_[-1]
    assert last["train_intra"] < 0.8 * first["train_intra"]
    # The best intra reconstruction of a random same-class sample is its class mean, whose
    # error is the within-class variance: far below the total variance (loss ~1 per feature).
    assert last["train_intra"] < 0.6


def test_intra_embedding_separates_classes_on_held_out_data():
    X, y = _data(n_per_class=60, n_features=10, shift=1.0, seed=1)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    edrl = EDRLTransformer(n_components=4, hidden_layer_sizes=(32,), max_epochs=40,
                           batch_size=32, random_state=0).fit(X_tr, y_tr)
    Z_tr, Z_te = edrl.transform(X_tr)[:, :4], edrl.transform(X_te)[:, :4]
    acc = LogisticRegression().fit(Z_tr, y_tr).score(Z_te, y_te)
    raw = LogisticRegression().fit(X_tr, y_tr).score(X_te, y_te)
    # Chance is 1/3; four intra dimensions keep almost all of what ten raw features give.
    assert acc > 0.8
    assert acc >= raw - 0.1


def test_early_stopping_restores_best_weights():
    X, y = _data(n_per_class=30, n_features=8, shift=0.3)
    params = dict(n_components=8, hidden_layer_sizes=(64,), learning_rate=0.03, batch_size=16,
                  validation_fraction=0.3, n_iter_no_change=2, random_state=3)
    stopped = EDRLTransformer(max_epochs=60, **params).fit(X, y)
    best = stopped.best_epoch_
    assert best < stopped.n_iter_ < 60, "this setting should overfit and stop early"
    val = [rec["val_loss"] for rec in stopped.history_]
    assert val[best - 1] == min(val)
    # Training stopped after `best` epochs follows the same random streams, so its weights are
    # those of epoch `best`: the restored model must equal it exactly.
    truncated = EDRLTransformer(max_epochs=best, **params).fit(X, y)
    np.testing.assert_array_equal(stopped.transform(X), truncated.transform(X))


# --------------------------------------------------------------------------------------------
# Partner sampling


def _sampler(classes, groups, use_groups):
    n = len(classes)
    return PartnerSampler(classes, groups, classes, groups, np.arange(n), use_groups, "cpu")


def test_partners_same_class_other_sample_and_other_class():
    rng = np.random.default_rng(0)
    classes = rng.integers(0, 4, 200)
    sampler = _sampler(classes, np.zeros(200, dtype=int), False)
    gen = torch.Generator().manual_seed(0)
    rows = torch.arange(200).repeat(20)
    intra, inter = (p.numpy() for p in sampler.draw(rows, gen))
    rows = rows.numpy()
    assert np.all(classes[intra] == classes[rows])
    assert np.all(intra != rows)
    assert np.all(classes[inter] != classes[rows])
    # Every same-class candidate of sample 0 is drawn (uniform over the candidates).
    same = set(np.flatnonzero(classes == classes[0])) - {0}
    draws = sampler.draw(torch.zeros(5000, dtype=torch.int64), gen)[0].numpy()
    assert set(draws) == same
    counts = np.bincount(draws, minlength=200)[sorted(same)]
    assert counts.min() > 0.5 * counts.mean()


def test_partners_from_other_group_when_possible():
    # class 0 occurs in groups 0, 1, 2; class 1 only in group 3 (same-group partners).
    classes = np.array([0] * 9 + [1] * 4)
    groups = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3])
    sampler = _sampler(classes, groups, True)
    gen = torch.Generator().manual_seed(1)
    rows = torch.arange(13).repeat(50)
    intra, inter = (p.numpy() for p in sampler.draw(rows, gen))
    rows = rows.numpy()
    assert np.all(classes[intra] == classes[rows])
    c0 = classes[rows] == 0
    assert np.all(groups[intra[c0]] != groups[rows[c0]])
    assert np.all(intra[~c0] != rows[~c0])
    assert np.all(classes[inter] != classes[rows])
    # Without groups, the same data gives same-group partners for class 0 too.
    intra_ng = _sampler(classes, groups, False).draw(torch.as_tensor(rows), gen)[0].numpy()
    assert np.any(groups[intra_ng[c0]] == groups[rows[c0]])


@pytest.mark.parametrize("max_share", [0.5, 1.0])
def test_noise_mixing_keeps_unit_variance_and_spreads_the_share(max_share):
    # Rows of standardised features: each output row is sqrt(1 - s) x + sqrt(s) e with one
    # share s per row, uniform in [0, max_share]; recover s row by row by regression on x.
    n, d = 300, 5000
    x = torch.randn(n, d, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = mix_with_noise(x, max_share, torch.Generator().manual_seed(1))
    x, out = x.numpy(), out.numpy()
    slope = np.sum(out * x, axis=1) / np.sum(x * x, axis=1)
    residual_var = np.var(out - slope[:, None] * x, axis=1)
    np.testing.assert_allclose(slope**2 + residual_var, 1.0, atol=0.06)  # variance kept
    share = residual_var  # each estimate has a standard error of about s * sqrt(2 / d)
    assert share.min() > -0.08 and share.max() < max_share + 0.08
    assert abs(share.mean() - max_share / 2) < 0.03
    assert share.min() < 0.1 * max_share and share.max() > 0.9 * max_share
    assert slope.min() > np.sqrt(1 - max_share) - 0.05 and slope.max() < 1.05


def test_noise_mixing_zero_share_is_identity_and_seeded():
    x = torch.randn(50, 8, generator=torch.Generator().manual_seed(0))
    same = mix_with_noise(x, 0.0, torch.Generator().manual_seed(1))
    torch.testing.assert_close(same, x, rtol=0, atol=0)
    a = mix_with_noise(x, 0.5, torch.Generator().manual_seed(2))
    b = mix_with_noise(x, 0.5, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, x)


@pytest.mark.parametrize("max_share", [0.5, 1.0])
def test_partner_mixing_moves_each_row_along_the_segment_to_its_partner(max_share):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2000, 6, generator=gen, dtype=torch.float64)
    partners = torch.randn(2000, 6, generator=gen, dtype=torch.float64)
    out = mix_with_partners(x, partners, max_share, torch.Generator().manual_seed(1))
    x, partners, out = x.numpy(), partners.numpy(), out.numpy()
    share = np.sum((out - x) * (partners - x), axis=1) / np.sum((partners - x) ** 2, axis=1)
    # Every row is (1 - m) x + m p: on the segment, with one share m per row.
    np.testing.assert_allclose(out, x + share[:, None] * (partners - x), atol=1e-12)
    assert share.min() >= 0 and share.max() <= max_share
    assert abs(share.mean() - max_share / 2) < 0.02
    assert share.min() < 0.01 * max_share and share.max() > 0.99 * max_share


def test_partner_mixing_zero_share_is_identity_and_seeded():
    x = torch.randn(50, 8, generator=torch.Generator().manual_seed(0))
    p = torch.randn(50, 8, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(
        mix_with_partners(x, p, 0.0, torch.Generator().manual_seed(1)), x, rtol=0, atol=0)
    a = mix_with_partners(x, p, 0.5, torch.Generator().manual_seed(2))
    b = mix_with_partners(x, p, 0.5, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, x)


def test_fit_mixes_rows_with_same_class_partners_from_other_groups(monkeypatch):
    # Record every (row, partner) pair the training loop mixes, and find both in the
    # standardised training set: same class, another group, never the row itself.
    X, y = _data(n_per_class=30)
    groups = np.tile(np.arange(3), 30)
    seen = []
    real = _edrl_training.mix_with_partners

    def spy(x, partners, max_share, generator):
        seen.append((x.clone(), partners.clone()))
        return real(x, partners, max_share, generator)

    monkeypatch.setattr(_edrl_training, "mix_with_partners", spy)
    edrl = EDRLTransformer(**{**FAST, "partner_mixing": 1.0, "early_stopping": False})
    edrl.fit(X, y, groups=groups)
    assert len(seen) == FAST["max_epochs"]
    Xs = torch.as_tensor(((X - edrl.mean_) / edrl.scale_).astype(np.float32))
    for x, partners in seen:
        rows = torch.cdist(x, Xs).argmin(dim=1).numpy()
        mates = torch.cdist(partners, Xs).argmin(dim=1).numpy()
        assert sorted(rows) == list(range(len(X)))  # every training row, once per epoch
        assert np.all(y[mates] == y[rows])
        assert np.all(groups[mates] != groups[rows])


def test_no_partner_mixing_by_default(monkeypatch):
    def refuse(*args):
        raise AssertionError("mixed although partner_mixing=0")

    monkeypatch.setattr(_edrl_training, "mix_with_partners", refuse)
    X, y = _data()
    EDRLTransformer(**FAST).fit(X, y)
    assert EDRLTransformer().partner_mixing == 0.0


def test_partner_mixing_changes_the_fit_and_stays_seeded():
    X, y = _data()
    plain = EDRLTransformer(**FAST).fit_transform(X, y)
    mixed = EDRLTransformer(**{**FAST, "partner_mixing": 1.0}).fit_transform(X, y)
    again = EDRLTransformer(**{**FAST, "partner_mixing": 1.0}).fit_transform(X, y)
    assert not np.allclose(plain, mixed)
    np.testing.assert_array_equal(mixed, again)


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_partner_mixing_outside_unit_interval_is_an_error(bad):
    X, y = _data()
    with pytest.raises(ValueError, match="partner_mixing"):
        EDRLTransformer(**{**FAST, "partner_mixing": bad}).fit(X, y)


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_input_noise_outside_unit_interval_is_an_error(bad):
    X, y = _data()
    with pytest.raises(ValueError, match="input_noise"):
        EDRLTransformer(**{**FAST, "input_noise": bad}).fit(X, y)


def test_groups_change_the_fit():
    X, y = _data()
    groups = np.tile([0, 1], 30)
    a = EDRLTransformer(**FAST).fit(X, y).transform(X)
    b = EDRLTransformer(**FAST).fit(X, y, groups=groups).transform(X)
    assert not np.array_equal(a, b)


# --------------------------------------------------------------------------------------------
# Determinism and random state


def test_same_seed_bit_identical_and_global_rng_untouched():
    X, y = _data()
    # The legacy global numpy state is exactly what must stay untouched.
    np_state = np.random.get_state()  # noqa: NPY002
    torch_state = torch.random.get_rng_state()
    z1 = EDRLTransformer(**FAST).fit_transform(X, y)
    z2 = EDRLTransformer(**FAST).fit_transform(X, y)
    np.testing.assert_array_equal(z1, z2)
    EDRLTransformer(**{**FAST, "random_state": None}).fit(X, y)
    new_np_state = np.random.get_state()  # noqa: NPY002
    assert np_state[0] == new_np_state[0] and np.array_equal(np_state[1], new_np_state[1])
    assert np_state[2:] == new_np_state[2:]
    assert torch.equal(torch.random.get_rng_state(), torch_state)


def test_different_seeds_differ():
    X, y = _data()
    z1 = EDRLTransformer(**FAST).fit_transform(X, y)
    z2 = EDRLTransformer(**{**FAST, "random_state": 1}).fit_transform(X, y)
    assert not np.array_equal(z1[:, :8], z2[:, :8])


# --------------------------------------------------------------------------------------------
# Bad input


def test_one_class_is_an_error():
    X, _ = _data()
    with pytest.raises(ValueError, match="at least two classes, got 1 class"):
        EDRLTransformer(**FAST).fit(X, np.zeros(len(X)))


def test_single_sample_class_warns_and_names_it():
    X, y = _data()
    y = np.array(["a", "b", "c"])[y].astype(object)
    y[0] = "lonely"
    with pytest.warns(UserWarning, match=r"\['lonely'\] have a single training sample"):
        edrl = EDRLTransformer(**FAST).fit(X, y)
    assert np.isfinite(edrl.transform(X)).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_inf_are_errors(bad):
    X, y = _data()
    X[3, 2] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        EDRLTransformer(**FAST).fit(X, y)


def test_groups_wrong_length():
    X, y = _data()
    message = r"groups must hold one label per row \(60 rows\), got shape \(59,\)"
    with pytest.raises(ValueError, match=message):
        EDRLTransformer(**FAST).fit(X, y, groups=np.zeros(59))


def test_constant_continuous_target_is_an_error():
    # continuous targets are binned (tests/test_edrl_regression.py); one value has no bins
    X, _ = _data()
    with pytest.raises(ValueError, match="continuous target with a single value"):
        EDRLTransformer(**FAST).fit(X, np.full(len(X), 0.5))


@pytest.mark.parametrize("sizes", [(0,), (16, -1), (2.5,)])
def test_bad_hidden_layer_sizes(sizes):
    X, y = _data()
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        EDRLTransformer(**{**FAST, "hidden_layer_sizes": sizes}).fit(X, y)


def test_linear_networks():
    X, y = _data()
    edrl = EDRLTransformer(**{**FAST, "hidden_layer_sizes": ()}).fit(X, y)
    assert all(isinstance(m, torch.nn.Linear) for m in edrl.intra_encoder_)
    assert edrl.transform(X).shape == (60, 14)


def test_bad_device_name():
    X, y = _data()
    with pytest.raises(ValueError, match="not a torch device"):
        EDRLTransformer(**{**FAST, "device": "gpu0"}).fit(X, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_is_a_clear_error():
    X, y = _data()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        EDRLTransformer(**{**FAST, "device": "cuda"}).fit(X, y)


# --------------------------------------------------------------------------------------------
# Verbosity, pickling, import cost


def test_verbose_prints_epochs_and_default_is_silent(capsys):
    X, y = _data()
    EDRLTransformer(**FAST).fit(X, y)
    assert capsys.readouterr().out == ""
    EDRLTransformer(**FAST, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "epoch    1/3" in out and "train intra" in out and "val intra" in out
    assert out.count(" s\n") >= 1


def test_pickle_round_trip():
    X, y = _data()
    edrl = EDRLTransformer(**FAST).fit(X, y)
    clone = pickle.loads(pickle.dumps(edrl))
    np.testing.assert_array_equal(clone.transform(X), edrl.transform(X))
    assert clone.history_ == edrl.history_


class _FakeCudaParameter(torch.nn.Parameter):
    """A CPU parameter that reports a CUDA device, to exercise the pickling path on a CPU."""

    @property
    def device(self):
        return torch.device("cuda", 0)


def test_pickle_stores_cpu_copies_of_device_modules(monkeypatch):
    X, y = _data()
    edrl = EDRLTransformer(**FAST).fit(X, y)
    expected = edrl.transform(X)
    # Pretend the model was fitted on a GPU.
    edrl.device = "cuda"
    edrl.device_ = "cuda:0"
    linear = edrl.intra_encoder_[0]
    linear.weight = _FakeCudaParameter(linear.weight.detach().clone(), requires_grad=False)
    state = edrl.__getstate__()
    assert state["device_"] == "cpu"
    assert state["intra_encoder_"] is not edrl.intra_encoder_  # a copy was moved
    assert edrl.device_ == "cuda:0"  # the fitted estimator itself is unchanged
    # Modules already on the CPU are stored as they are.
    assert state["inter_encoder_"] is edrl.inter_encoder_
    blob = pickle.dumps(edrl)
    # Unpickle "on a machine without CUDA": transform must work on the CPU.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = pickle.loads(blob)
    assert loaded.device_ == "cpu"
    np.testing.assert_array_equal(loaded.transform(X), expected)


@pytest.mark.cuda
def test_cuda_fit_pickles_to_cpu():
    X, y = _data()
    edrl = EDRLTransformer(**{**FAST, "device": "cuda"}).fit(X, y)
    assert edrl.device_.startswith("cuda")
    Z = edrl.transform(X)
    loaded = pickle.loads(pickle.dumps(edrl))
    assert next(loaded.intra_encoder_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(loaded.transform(X), Z, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(
        EDRLTransformer(**{**FAST, "device": "cuda"}).fit(X, y).transform(X), Z
    )


def test_import_skser_does_not_import_torch():
    code = "import sys, skser; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


# --------------------------------------------------------------------------------------------
# torch threads


@pytest.fixture
def two_torch_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


@pytest.mark.parametrize(("n_threads", "expected_inside"), [(1, 1), (3, 3), (None, 2)])
def test_n_threads_applies_during_fit_and_transform_then_restores(
    two_torch_threads, monkeypatch, n_threads, expected_inside
):
    import skser._edrl_training as training

    seen = []
    for name in ("train_edrl", "encode"):
        original = getattr(training, name)

        def spy(*args, _original=original, **kwargs):
            seen.append(torch.get_num_threads())
            return _original(*args, **kwargs)

        monkeypatch.setattr(training, name, spy)
    X, y = _data()
    edrl = EDRLTransformer(**FAST, n_threads=n_threads).fit(X, y)
    assert torch.get_num_threads() == 2
    edrl.transform(X)
    assert torch.get_num_threads() == 2
    assert seen == [expected_inside] * 3  # train_edrl, then encode for intra and inter


def test_n_threads_restored_when_fit_fails(two_torch_threads, monkeypatch):
    import skser._edrl_training as training

    def broken(*args, **kwargs):
        assert torch.get_num_threads() == 1
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "train_edrl", broken)
    X, y = _data()
    with pytest.raises(KeyboardInterrupt):
        EDRLTransformer(**FAST).fit(X, y)
    assert torch.get_num_threads() == 2


def test_n_threads_does_not_change_the_result():
    X, y = _data()
    one = EDRLTransformer(**FAST, n_threads=1).fit_transform(X, y)
    two = EDRLTransformer(**FAST, n_threads=2).fit_transform(X, y)
    np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------------------------
# Early stopping on held-out groups (validation="groups")


def _spy_split(monkeypatch):
    """Record the (train_idx, val_idx) that fit passes to the training loop."""
    import skser._edrl_training as training

    seen = []
    real = training.train_edrl

    def spy(*args, train_idx, val_idx, **kwargs):
        seen.append((np.asarray(train_idx).copy(), np.asarray(val_idx).copy()))
        return real(*args, train_idx=train_idx, val_idx=val_idx, **kwargs)

    monkeypatch.setattr(training, "train_edrl", spy)
    return seen


def _grouped_data(n_groups=6, n_per_class_and_group=4, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.tile(np.repeat(np.arange(n_classes), n_per_class_and_group), n_groups)
    groups = np.repeat(np.arange(n_groups), n_classes * n_per_class_and_group)
    X = rng.normal(size=(y.size, 5)) + 2.0 * y[:, None]
    perm = rng.permutation(y.size)  # groups interleaved, not in contiguous runs
    return X[perm], y[perm], groups[perm]


@pytest.mark.parametrize("fraction", [0.05, 0.1, 0.3, 0.5])
def test_group_validation_split_holds_out_whole_groups(fraction):
    from skser._edrl import _group_validation_split

    _, y, groups = _grouped_data(n_groups=8)
    train, val = _group_validation_split(y, groups, fraction, np.random.default_rng(3))
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(y.size))
    held = set(groups[val])
    assert held.isdisjoint(groups[train])
    # Whole groups: every row of a held-out group is in validation.
    assert np.array_equal(np.sort(val), np.flatnonzero(np.isin(groups, list(held))))
    # Equal groups of 12 rows out of 96: the fewest groups reaching the fraction.
    assert len(held) == int(np.ceil(fraction * 8))
    assert np.all(np.bincount(y[train], minlength=3) >= 2)


def test_group_validation_split_is_reproducible_and_seeded():
    from skser._edrl import _group_validation_split

    _, y, groups = _grouped_data(n_groups=10)
    a = _group_validation_split(y, groups, 0.1, np.random.default_rng(7))
    b = _group_validation_split(y, groups, 0.1, np.random.default_rng(7))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    held = {frozenset(groups[_group_validation_split(y, groups, 0.1,
                                                     np.random.default_rng(s))[1]])
            for s in range(20)}
    assert len(held) > 1  # the held-out group depends on the generator


def test_group_validation_split_keeps_two_training_rows_of_every_class():
    from skser._edrl import _group_validation_split

    # Class 2 has three rows, two of them in group 0: holding out group 0 would leave it one
    # training row, so group 0 is never held out; groups 1 and 2 may be.
    y = np.array([0] * 6 + [1] * 6 + [2] * 3)
    groups = np.array([0, 0, 1, 1, 2, 2] * 2 + [0, 0, 1])
    for seed in range(30):
        train, val = _group_validation_split(y, groups, 0.1, np.random.default_rng(seed))
        assert 0 not in set(groups[val])
        assert np.all(np.bincount(y[train], minlength=3) >= 2)
    # When every group holds a class's last training rows, nothing can be held out.
    assert _group_validation_split(
        np.array([0, 0, 1, 1]), np.array([0, 0, 1, 1]), 0.5, np.random.default_rng(0)
    ) is None
    assert _group_validation_split(y, np.zeros_like(y), 0.1, np.random.default_rng(0)) is None


def test_fit_with_group_validation_holds_out_whole_groups(monkeypatch):
    seen = _spy_split(monkeypatch)
    X, y, groups = _grouped_data(n_groups=6)
    kwargs = {**FAST, "validation": "groups", "validation_fraction": 0.2}
    edrl = EDRLTransformer(**kwargs).fit(X, y, groups=groups)
    train, val = seen[-1]
    held = set(groups[val])
    assert len(held) == 2  # 0.2 of 6 equal groups: two groups
    assert held.isdisjoint(groups[train])
    assert np.array_equal(np.sort(val), np.flatnonzero(np.isin(groups, list(held))))
    assert edrl.history_[0]["val_loss"] is not None
    # Reproducible: the same seed holds out the same groups and gives the same embedding.
    again = EDRLTransformer(**kwargs).fit(X, y, groups=groups)
    assert np.array_equal(seen[-1][1], val)
    np.testing.assert_array_equal(again.transform(X), edrl.transform(X))
    # The stratified split (the default) mixes every group into validation instead.
    EDRLTransformer(**{**kwargs, "validation": "stratified"}).fit(X, y, groups=groups)
    assert len(set(groups[seen[-1][1]])) > 2


def test_fit_with_group_validation_uses_labelled_rows_only(monkeypatch):
    seen = _spy_split(monkeypatch)
    X, y, groups = _grouped_data(n_groups=4)
    y = y.copy()
    y[groups == 3] = -1  # one group is unlabelled: it can be neither trained on nor held out
    EDRLTransformer(**FAST, validation="groups", validation_fraction=0.2).fit(
        X, y, groups=groups
    )
    train, val = seen[-1]
    labelled_groups = groups[y != -1]
    assert len(train) + len(val) == labelled_groups.size
    assert len(set(labelled_groups[val])) == 1
    assert set(labelled_groups[val]).isdisjoint(labelled_groups[train])


@pytest.mark.parametrize("case", ["no groups", "one group", "no group can go"])
def test_group_validation_falls_back_to_stratified_with_a_warning(monkeypatch, case):
    seen = _spy_split(monkeypatch)
    X, y, groups = _grouped_data(n_groups=3)
    fit_groups = {
        "no groups": None,
        "one group": np.zeros_like(groups),
        # Each class lives in one group only: holding out any group removes a class.
        "no group can go": y.copy(),
    }[case]
    reason = {"no groups": "fit got no groups", "one group": "single group",
              "no group can go": "none of the 3 groups can be held out"}[case]
    with pytest.warns(UserWarning, match=reason) as record:
        fallback = EDRLTransformer(**FAST, validation="groups").fit(X, y, groups=fit_groups)
    assert "validation='stratified'" in str(record[0].message)
    stratified = EDRLTransformer(**FAST).fit(X, y, groups=fit_groups)
    # The fallback is exactly the stratified split with the same generator.
    assert np.array_equal(seen[0][1], seen[1][1])
    np.testing.assert_array_equal(fallback.transform(X), stratified.transform(X))


def test_group_validation_is_silent_without_early_stopping(recwarn):
    X, y = _data()
    EDRLTransformer(**FAST, validation="groups", early_stopping=False).fit(X, y)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_bad_validation_name_is_an_error():
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = _data()
    with pytest.raises(InvalidParameterError, match="validation"):
        EDRLTransformer(**FAST, validation="speakers").fit(X, y)


def test_group_validation_verbose_names_the_held_out_share(capsys):
    X, y, groups = _grouped_data(n_groups=6)
    EDRLTransformer(**FAST, validation="groups", validation_fraction=0.2, verbose=1).fit(
        X, y, groups=groups
    )
    assert "validation: 2 of 6 groups held out (24 of 72 rows)" in capsys.readouterr().out
