"""torch side of :class:`skser.EDRLTransformer`: modules, partner sampling and the training loop.

Kept apart from ``_edrl.py`` so that ``import skser`` does not import torch; the estimator
imports this module inside ``fit`` and ``transform``.
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch
from torch import nn

# Rows gathered per step of an epoch: bounds the memory of the shuffled, noised copies of the
# training set (a few of these blocks live at once) without adding Python work per batch.
_EPOCH_CHUNK_ROWS = 1 << 16


# --------------------------------------------------------------------------------------------
# Modules
# --------------------------------------------------------------------------------------------


def _mlp(sizes, generator):
    """``Linear -> ReLU -> ... -> Linear`` through ``sizes``, initialised from ``generator``.

    The layers are created without touching torch's global random state (``skip_init``) and
    then initialised like ``nn.Linear``'s default (uniform in +-1/sqrt(fan_in)), drawing from
    the local generator.
    """
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = torch.nn.utils.skip_init(nn.Linear, fan_in, fan_out)
        bound = 1.0 / math.sqrt(fan_in)
        with torch.no_grad():
            linear.weight.uniform_(-bound, bound, generator=generator)
            linear.bias.uniform_(-bound, bound, generator=generator)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class EDRLNetwork(nn.Module):
    """The two encoder/decoder pairs of EDRL.

    ``forward(x)`` returns the intra-class and inter-class reconstructions of ``x``'s partners.
    """

    def __init__(self, n_features, n_components, hidden_layer_sizes, generator):
        super().__init__()
        enc = [n_features, *hidden_layer_sizes, n_components]
        dec = enc[::-1]
        self.intra_encoder = _mlp(enc, generator)
        self.intra_decoder = _mlp(dec, generator)
        self.inter_encoder = _mlp(enc, generator)
        self.inter_decoder = _mlp(dec, generator)

    def forward(self, x):
        return (
            self.intra_decoder(self.intra_encoder(x)),
            self.inter_decoder(self.inter_encoder(x)),
        )


# --------------------------------------------------------------------------------------------
# Partner sampling
# --------------------------------------------------------------------------------------------


class PartnerSampler:
    """Draw, for many query samples at once, an intra-class and an inter-class partner.

    The pool (the training samples) is sorted by (class, group). For every query the candidate
    partners then form one contiguous run of the sorted pool with at most one contiguous run
    cut out of it:

    * intra: the query's class block, minus the query's own (class, group) run when the class
      also occurs in another group, otherwise minus the query itself (when it is in the pool);
    * inter: the whole pool minus the query's class block, or, with ``inter_gap = g > 0``
      (ordinal classes: the bins of a continuous target), minus the blocks of classes
      ``c - g`` to ``c + g``, so that inter partners come from a distant bin.

    A draw is ``r = floor(u * n_candidates)`` with ``u`` uniform, shifted past the cut-out run,
    so each candidate is equally likely and a batch needs a handful of tensor operations, with
    no Python loop over samples. The tables are built once in numpy and live on the device.

    Parameters
    ----------
    pool_classes, pool_groups : ndarray of int, shape (n_pool,)
        Class and group codes of the pool (groups all zero when there are none).
    query_classes, query_groups : ndarray of int, shape (n_query,)
        Codes of the queries.
    query_pool_index : ndarray of int, shape (n_query,)
        Index of each query in the pool, or -1 when the query is not in the pool.
    use_groups : bool
        Whether intra partners should come from another group where one exists.
    device : torch.device
    inter_gap : int, default=0
        Classes within this distance of the query's class (by code) are no inter partners.
        ``0``: every other class is.
    """

    def __init__(
        self, pool_classes, pool_groups, query_classes, query_groups, query_pool_index,
        use_groups, device, inter_gap=0,
    ):
        pool_classes = np.asarray(pool_classes, dtype=np.int64)
        pool_groups = np.asarray(pool_groups, dtype=np.int64)
        query_classes = np.asarray(query_classes, dtype=np.int64)
        query_groups = np.asarray(query_groups, dtype=np.int64)
        query_pool_index = np.asarray(query_pool_index, dtype=np.int64)
        n_pool = pool_classes.shape[0]
        n_classes = int(max(pool_classes.max(), query_classes.max())) + 1
        n_groups = int(max(pool_groups.max(), query_groups.max())) + 1

        order = np.lexsort((pool_groups, pool_classes))
        rank = np.empty(n_pool, dtype=np.int64)
        rank[order] = np.arange(n_pool)

        cls_count = np.bincount(pool_classes, minlength=n_classes)
        cls_start = np.cumsum(cls_count) - cls_count
        key_count = np.bincount(pool_classes * n_groups + pool_groups,
                                minlength=n_classes * n_groups)
        key_start = np.cumsum(key_count) - key_count

        c, g = query_classes, query_groups
        key = c * n_groups + g
        in_pool = query_pool_index >= 0
        own = np.where(in_pool, rank[np.maximum(query_pool_index, 0)], 0)

        # Intra: the class block, minus the own (class, group) run or minus the sample itself.
        base = cls_start[c]
        total = cls_count[c]
        other_group = use_groups & (key_count[key] < total)
        skip_lo = np.where(other_group, key_start[key] - base, np.where(in_pool, own - base, 0))
        skip_len = np.where(other_group, key_count[key], in_pool.astype(np.int64))
        n_cand = total - skip_len
        # A class with a single pool sample: its only candidate is the sample itself.
        alone = n_cand == 0
        skip_len = np.where(alone, 0, skip_len)
        n_cand = np.where(alone, total, n_cand)
        self.intra_alone = alone
        self.intra_other_group = other_group

        to = lambda a: torch.as_tensor(a, dtype=torch.int64, device=device)  # noqa: E731
        self.order = to(order)
        self._intra = (to(base), to(n_cand), to(skip_lo), to(skip_len))
        # Inter: the pool minus the run of classes c - inter_gap ... c + inter_gap (contiguous
        # in the sorted pool; just class c with inter_gap=0).
        lo = np.maximum(c - inter_gap, 0)
        hi = np.minimum(c + inter_gap, n_classes - 1)
        inter_skip = cls_start[hi] + cls_count[hi] - cls_start[lo]
        self._inter = (
            torch.zeros(len(c), dtype=torch.int64, device=device),
            to(n_pool - inter_skip),
            to(cls_start[lo]),
            to(inter_skip),
        )
        if np.any(n_pool - inter_skip == 0):
            if inter_gap:
                raise ValueError(
                    f"Inter partners need pool samples more than {inter_gap} bin(s) away from "
                    "every query's bin; some bin has none.")
            raise ValueError("Inter-class partners need at least two classes in the pool.")

    def _draw(self, table, rows, u):
        base, n_cand, skip_lo, skip_len = (t[rows] for t in table)
        r = torch.minimum((u * n_cand).to(torch.int64), n_cand - 1)
        r = r + (r >= skip_lo).to(torch.int64) * skip_len
        return self.order[base + r]

    def draw(self, rows, generator):
        """Pool indices of intra and inter partners for the queries ``rows`` (a tensor)."""
        u = torch.rand((2, rows.shape[0]), generator=generator, dtype=torch.float64,
                       device=rows.device)
        return self._draw(self._intra, rows, u[0]), self._draw(self._inter, rows, u[1])


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def _row_shares(x, max_share, generator):
    """One share per row of ``x``, uniform in ``[0, max_share]``, shape ``(n_rows, 1)``."""
    share = torch.rand((x.shape[0], 1), generator=generator, dtype=x.dtype, device=x.device)
    return share * max_share


def mix_with_noise(x, max_share, generator):
    """Replace a random share of each row's variance by standard Gaussian noise.

    Row ``i`` becomes ``sqrt(1 - s_i) * x_i + sqrt(s_i) * e_i`` with ``s_i`` uniform in
    ``[0, max_share]`` and ``e_i ~ N(0, I)``: the variance of standardised rows is kept, as
    in standardised noisy speech (the reasons are in ``EDRLTransformer``'s Notes).
    """
    share = _row_shares(x, max_share, generator)
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return x * torch.sqrt(1.0 - share) + noise * torch.sqrt(share)


def mix_with_partners(x, partners, max_share, generator):
    """Move each row towards a partner of its own class by a random share.

    Row ``i`` becomes ``(1 - m_i) * x_i + m_i * p_i`` with ``m_i`` uniform in
    ``[0, max_share]``: a point on the segment between two utterances of one emotion (from
    two corpora when groups are corpora), the intra-class form of mixup (see
    ``EDRLTransformer``'s Notes, *Partner mixing*).
    """
    return x + _row_shares(x, max_share, generator) * (partners - x)


def _make_optimizer(params, learning_rate, weight_decay, device):
    kwargs = {"lr": learning_rate, "weight_decay": weight_decay}
    try:
        return torch.optim.AdamW(params, fused=True, **kwargs)
    except (RuntimeError, TypeError, ValueError):  # pragma: no cover - old torch / device
        return torch.optim.AdamW(params, foreach=True, **kwargs)


def train_edrl(
    X, classes, groups, *, train_idx, val_idx, n_components, hidden_layer_sizes, max_epochs,
    batch_size, learning_rate, weight_decay, input_noise, n_iter_no_change, device, seed,
    verbose, X_unlabelled=None, unlabelled_weight=0.0, inter_gap=0, partner_mixing=0.0,
):
    """Train the EDRL network on standardised ``X`` (float32 numpy).

    ``classes`` are class codes, or the ordinal bin codes of a continuous target with
    ``inter_gap`` > 0 (inter partners then come from bins more than ``inter_gap`` away).

    With ``X_unlabelled`` (standardised float32 rows without a label) and a positive
    ``unlabelled_weight``, every minibatch also draws as many unlabelled rows, corrupts them
    like the labelled ones, and adds ``unlabelled_weight`` times the mean squared error of
    both branches reconstructing each unlabelled row itself (a denoising autoencoder term).

    With a positive ``partner_mixing``, each training input is first moved towards a second,
    independently drawn intra-class partner (``mix_with_partners``); no extra random draw is
    made when it is 0, so the default training is unchanged.

    Returns ``(network on device, history, n_iter, best_epoch, intra_alone_classes)``.
    """
    init_gen = torch.Generator(device="cpu").manual_seed(seed)
    gen = torch.Generator(device=device).manual_seed(seed + 1)

    net = EDRLNetwork(X.shape[1], n_components, hidden_layer_sizes, init_gen).to(device)
    optimizer = _make_optimizer(list(net.parameters()), learning_rate, weight_decay, device)

    use_groups = groups is not None
    grp = np.zeros(len(classes), dtype=np.int64) if groups is None else groups
    X_all = torch.from_numpy(X).to(device)
    X_train = X_all[torch.as_tensor(train_idx, device=device)]
    n_train = len(train_idx)
    train_sampler = PartnerSampler(
        classes[train_idx], grp[train_idx], classes[train_idx], grp[train_idx],
        np.arange(n_train), use_groups, device, inter_gap=inter_gap,
    )
    alone_codes = np.unique(classes[train_idx][train_sampler.intra_alone])

    has_val = len(val_idx) > 0
    if has_val:
        # Fixed validation partners, drawn once from the training pool, and no input noise:
        # the validation loss of successive epochs is then computed on the same pairs.
        val_sampler = PartnerSampler(
            classes[train_idx], grp[train_idx], classes[val_idx], grp[val_idx],
            np.full(len(val_idx), -1), use_groups, device, inter_gap=inter_gap,
        )
        rows = torch.arange(len(val_idx), device=device)
        v_intra, v_inter = val_sampler.draw(rows, gen)
        X_val = X_all[torch.as_tensor(val_idx, device=device)]
        T_val_intra, T_val_inter = X_train[v_intra], X_train[v_inter]
    del X_all

    use_unlabelled = X_unlabelled is not None and len(X_unlabelled) and unlabelled_weight > 0
    if use_unlabelled:
        X_unl = torch.from_numpy(X_unlabelled).to(device)
    batch_size = min(batch_size, n_train)
    chunk = batch_size * max(1, _EPOCH_CHUNK_ROWS // batch_size)
    mse = nn.functional.mse_loss
    history = []
    best_loss, best_epoch, best_state, stale = math.inf, 0, None, 0
    n_iter = 0
    for epoch in range(1, max_epochs + 1):
        start = time.perf_counter()
        net.train()
        totals = torch.zeros(2, dtype=torch.float64, device=device)
        perm = torch.randperm(n_train, generator=gen, device=device)
        for lo in range(0, n_train, chunk):
            rows = perm[lo:lo + chunk]
            p_intra, p_inter = train_sampler.draw(rows, gen)
            x = X_train.index_select(0, rows)
            if partner_mixing > 0:
                p_mix, _ = train_sampler.draw(rows, gen)
                x = mix_with_partners(x, X_train.index_select(0, p_mix), partner_mixing, gen)
            if input_noise > 0:
                x = mix_with_noise(x, input_noise, gen)
            t_intra, t_inter = X_train.index_select(0, p_intra), X_train.index_select(0, p_inter)
            for b in range(0, rows.shape[0], batch_size):
                xb = x[b:b + batch_size]
                rec_intra, rec_inter = net(xb)
                loss_intra = mse(rec_intra, t_intra[b:b + batch_size])
                loss_inter = mse(rec_inter, t_inter[b:b + batch_size])
                loss = loss_intra + loss_inter
                if use_unlabelled:
                    pick = torch.randint(len(X_unl), (xb.shape[0],), generator=gen,
                                         device=device)
                    u = X_unl.index_select(0, pick)
                    u_in = mix_with_noise(u, input_noise, gen) if input_noise > 0 else u
                    rec_u_intra, rec_u_inter = net(u_in)
                    loss = loss + unlabelled_weight * (mse(rec_u_intra, u) + mse(rec_u_inter, u))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                totals += torch.stack((loss_intra.detach(), loss_inter.detach())) * xb.shape[0]
        train_intra, train_inter = (totals / n_train).tolist()
        record = {
            "epoch": epoch,
            "train_intra": train_intra,
            "train_inter": train_inter,
            "train_loss": train_intra + train_inter,
        }
        if has_val:
            net.eval()
            with torch.no_grad():
                rec_intra, rec_inter = net(X_val)
                val_intra = mse(rec_intra, T_val_intra).item()
                val_inter = mse(rec_inter, T_val_inter).item()
            record.update(val_intra=val_intra, val_inter=val_inter,
                          val_loss=val_intra + val_inter)
        else:
            record.update(val_intra=None, val_inter=None, val_loss=None)
        record["time"] = time.perf_counter() - start
        history.append(record)
        n_iter = epoch
        if verbose:
            val = (f" | val intra {record['val_intra']:.4f} inter {record['val_inter']:.4f}"
                   if has_val else "")
            print(f"[EDRL] epoch {epoch:4d}/{max_epochs} | train intra {train_intra:.4f} "
                  f"inter {train_inter:.4f}{val} | {record['time']:.2f} s", flush=True)
        if has_val:
            monitored = record["val_loss"]
            if monitored < best_loss:
                best_loss, best_epoch, stale = monitored, epoch, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                stale += 1
                if stale >= n_iter_no_change:
                    if verbose:
                        print(f"[EDRL] early stop: no validation improvement in "
                              f"{n_iter_no_change} epochs; restoring epoch {best_epoch}",
                              flush=True)
                    break
        else:
            best_epoch = epoch
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net, history, n_iter, best_epoch, alone_codes


def encode(encoder, X, device, batch_rows=1 << 16):
    """Apply ``encoder`` to ``X`` (float64 numpy) in float64, in row chunks; numpy out.

    Inference runs on a float64 copy of the module so that the embedding of a row depends on
    which other rows are transformed with it only at float64 rounding (matrix products round
    differently with the batch shape; in float32 that shows in the 7th digit).
    """
    module = copy.deepcopy(encoder).to(device=device, dtype=torch.float64)
    out = []
    with torch.inference_mode():
        for lo in range(0, X.shape[0], batch_rows):
            x = torch.from_numpy(X[lo:lo + batch_rows]).to(device)
            out.append(module(x).cpu().numpy())
    if not out:
        return np.empty((0, module[-1].out_features))
    return np.concatenate(out, axis=0)


def module_to_cpu(module):
    """A CPU copy of ``module`` (``module`` itself when it already lives on the CPU)."""
    if all(p.device.type == "cpu" for p in module.parameters()):
        return module
    return copy.deepcopy(module).cpu()
