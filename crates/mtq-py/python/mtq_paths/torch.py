"""Each named module's output of a PyTorch model as numpy, with forward hooks: the layers of a
``mtq_paths.Set``. torch is imported here only (``pip install torch``).

    from mtq_paths.torch import collect
    layers, probs = collect(model, loader, layers=["layer3", "layer4", "avgpool"])
    s = mtq_paths.study(reference=mtq_paths.Set(layers, labels=y, probs=probs), ...)
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np


def _flat(t: Any, conv: str) -> np.ndarray:
    """One batch's output as samples x units: a feature map (N x C x H x W) as its channel means
    (``conv="mean"``, the CLI's default tap) or flattened (``"flatten"``); a 3-D output is read as
    a token sequence (N x T x D: a transformer's, as the CLI's token pool) and averaged over its
    tokens; anything else flattened per sample."""
    if isinstance(t, (tuple, list)):
        t = t[0]
    t = t.detach().float()
    if t.dim() == 4 and conv == "mean":
        t = t.mean(dim=(2, 3))
    elif t.dim() == 3 and conv == "mean":
        t = t.mean(dim=1)
    return t.reshape(t.shape[0], -1).cpu().numpy()


def collect(model: Any, data: Iterable, layers: Sequence[str], conv: str = "mean",
            softmax: bool = True, device: Any = None) -> tuple[dict, np.ndarray]:
    """Runs ``model`` (in eval mode, without gradients) over ``data`` (batches of inputs, or of
    ``(inputs, labels)``) and gives each module named in ``layers`` (names of
    ``model.named_modules()``, in network order) as a samples x units float32 array, and the
    model's outputs as class probabilities (the softmax of its logits when ``softmax``).

    Raises:
        ValueError: a name that is no module of the model, or an unknown ``conv``.
    """
    import torch

    if conv not in ("mean", "flatten"):
        raise ValueError(f"conv: 'mean' or 'flatten', not {conv!r}")
    modules = dict(model.named_modules())
    missing = [n for n in layers if n not in modules]
    if missing:
        raise ValueError(f"no module named {missing} in the model (see model.named_modules())")
    out: dict = {n: [] for n in layers}
    hooks = [modules[n].register_forward_hook(
        lambda _m, _i, o, n=n: out[n].append(_flat(o, conv))) for n in layers]
    probs = []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for batch in data:
                x = batch[0] if isinstance(batch, (tuple, list)) else batch
                if device is not None:
                    x = x.to(device)
                y = model(x)
                probs.append((torch.softmax(y, dim=1) if softmax else y).float().cpu().numpy())
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    if not probs:
        raise ValueError("data: no batch to run")
    n = sum(len(p) for p in probs)
    for name, v in out.items():
        rows = sum(len(b) for b in v)
        if rows != n:
            raise ValueError(f"module {name}: {rows} rows for {n} samples (is it called more "
                             "than once per forward pass?)")
    return ({name: np.concatenate(v).astype(np.float32) for name, v in out.items()},
            np.concatenate(probs).astype(np.float32))
