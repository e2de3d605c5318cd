"""Reference NIPALS multiblock PLS with super-score deflation (Westerhuis, Kourti & MacGregor 1998).

Written from the paper, independently of skser's closed-form solver, to check it. It takes
blocks that are already centred and scaled, and iterates until the super score stops moving.
"""

from __future__ import annotations

import numpy as np


def nipals_mbpls(x_blocks, Y, n_components, *, tol=1e-14, max_iter=20_000):
    """NIPALS MB-PLS.

    Returns a dict with ``super_scores`` (n, A), ``super_weights`` (n_blocks, A),
    ``block_weights`` (list of (p_b, A)), ``block_scores`` (list of (n, A)) and
    ``block_importances`` (n_blocks, A).
    """
    Xs = [np.array(X, dtype=float) for X in x_blocks]
    Y = np.array(Y, dtype=float)
    n, n_blocks = Y.shape[0], len(Xs)
    T = np.zeros((n, n_components))
    WT = np.zeros((n_blocks, n_components))
    Wb = [np.zeros((X.shape[1], n_components)) for X in Xs]
    Tb = [np.zeros((n, n_components)) for _ in Xs]
    for a in range(n_components):
        u = Y[:, np.argmax(np.sum(Y**2, axis=0))].copy()
        t_old = np.zeros(n)
        for _ in range(max_iter):
            ws = [X.T @ u / (u @ u) for X in Xs]
            ws = [w / np.linalg.norm(w) for w in ws]
            tb = np.column_stack([X @ w for X, w in zip(Xs, ws)])
            wt = tb.T @ u / (u @ u)
            wt /= np.linalg.norm(wt)
            t = tb @ wt
            q = Y.T @ t / (t @ t)
            u = Y @ q / (q @ q)
            if np.linalg.norm(t - t_old) <= tol * np.linalg.norm(t):
                break
            t_old = t
        T[:, a], WT[:, a] = t, wt
        for b in range(n_blocks):
            Wb[b][:, a], Tb[b][:, a] = ws[b], tb[:, b]
            p_b = Xs[b].T @ t / (t @ t)
            Xs[b] = Xs[b] - np.outer(t, p_b)
        Y = Y - np.outer(t, q)
    return {
        "super_scores": T,
        "super_weights": WT,
        "block_weights": Wb,
        "block_scores": Tb,
        "block_importances": WT**2,
    }
