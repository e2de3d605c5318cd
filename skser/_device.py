"""Device and dtype resolution shared by the torch code paths.

torch is imported lazily so that ``import skser`` and the numpy-only paths stay fast.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext


def resolve_device(device: str):
    """Map ``"cpu"``, ``"cuda"`` (or ``"cuda:N"``) and ``"auto"`` to a ``torch.device``.

    Asking for CUDA on a machine without it is an error rather than a silent fall-back to the
    CPU: a user who asked for the GPU wants to know that they are not getting it. A string
    that names no torch device is a ``ValueError``.
    """
    import torch

    device = str(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        torch_device = torch.device(device)
    except RuntimeError:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'cpu', 'cuda', 'cuda:N' or 'auto'."
        ) from None
    if torch_device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"device={device!r} was requested but CUDA is not available on this machine "
            f"(torch {torch.__version__}). Use device='cpu' or device='auto'."
        )
    return torch_device


def torch_dtype(dtype: str):
    """The torch dtype named ``"float32"`` or ``"float64"``."""
    import torch

    return {"float32": torch.float32, "float64": torch.float64}[dtype]


@contextmanager
def torch_threads(n_threads):
    """Run the block with ``n_threads`` torch intra-op CPU threads, then restore the caller's.

    ``None`` leaves torch's setting alone. torch's thread count is process-wide, so the
    caller's value is put back on exit, also when the block raises.
    """
    if n_threads is None:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    if previous == n_threads:
        yield
        return
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _threadpool_controller():
    """One ``threadpoolctl.ThreadpoolController`` per process, made on first use.

    Making one lists the loaded native libraries (about 7 to 17 ms, it reads every loaded
    shared object); ``threadpool_limits`` makes a new one on every call, which cost MEA's
    fit 18 ms at 10,000 x 100, twice its floor. scipy's BLAS is loaded first so that the
    list holds it; a library loaded later (after the first call) is not limited.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        import scipy.linalg  # noqa: F401 - loads scipy's BLAS before the libraries are listed
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


_CONTROLLER = None


def native_threads(n_threads, user_api="blas"):
    """Context that runs its block with ``n_threads`` native threads, then restores them.

    ``user_api``: ``"blas"``, ``"openmp"`` or None (both). ``n_threads=None`` leaves the
    caller's setting alone (and costs nothing).
    """
    if n_threads is None:
        return nullcontext()
    return _threadpool_controller().limit(limits=int(n_threads), user_api=user_api)
