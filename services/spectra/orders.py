"""Join the orders (or arms, or segments) of one observation into one spectrum.

Cross-dispersed spectrographs (IRTF SpeX SXD/LXD, echelles) and multi-arm ones (DESI b/r/z,
X-shooter) deliver one array per order. vocloud keeps one spectrum per file, and what an
astronomer expects from "the spectrum" of such a file is the whole wavelength range, as the
pipelines' own merge steps give it (Spextool ``xmergeorders``). :func:`join_orders` builds it
without averaging: the orders are put in wavelength order, and where two overlap, each keeps
its half of the overlap (split at the overlap's midpoint), so the result increases strictly
and every pixel is a measured one. An order lying wholly inside the range already covered is
left out. Every role is an array of shape ``(n_pix_i,)``; ``wave`` must already be Angstrom.
"""

from __future__ import annotations

import numpy as np

__all__ = ["join_orders"]

Segment = dict[str, np.ndarray]  # role ("wave", "flux", "error", "ivar", "mask"...) -> (n_pix_i,)


def _clean(segment: Segment) -> Segment | None:
    """Pixels with a finite wavelength, sorted by it; None when none is left."""
    wave = np.asarray(segment["wave"], dtype=np.float64)
    keep = np.isfinite(wave)
    if not keep.any():
        return None
    order = np.argsort(wave[keep], kind="stable")
    return {role: np.asarray(array)[keep][order] for role, array in segment.items()}


def _take(segment: Segment, keep: np.ndarray) -> Segment:
    return {role: array[keep] for role, array in segment.items()}


def join_orders(segments: list[Segment], notes: list[str]) -> Segment:
    """One spectrum from several orders, increasing in wavelength.

    Parameters
    ----------
    segments : list of dict
        Role -> array of shape ``(n_pix_i,)`` per order, ``"wave"`` in Angstrom. Roles
        that not every order has are dropped (with a note).
    notes : list of str
        Receives a sentence for each decision worth recording (orders left out...).

    Returns
    -------
    dict
        Role -> array of shape ``(n_pix,)``; ``n_pix`` is at most the sum of the orders'.

    Raises
    ------
    ValueError
        When no order has a finite wavelength.
    """
    cleaned = [s for s in (_clean(segment) for segment in segments) if s is not None]
    if not cleaned:
        raise ValueError("no order has a finite wavelength")
    roles = set.intersection(*(set(s) for s in cleaned))
    dropped = sorted(set.union(*(set(s) for s in cleaned)) - roles)
    if dropped:
        notes.append(f"{', '.join(dropped)} missing in some orders: left out")
    cleaned = [{role: s[role] for role in roles} for s in cleaned]
    cleaned.sort(key=lambda s: float(s["wave"][0]))
    joined: list[Segment] = [cleaned[0]]
    for segment in cleaned[1:]:
        previous = joined[-1]
        top = float(previous["wave"][-1])
        if float(segment["wave"][-1]) <= top:
            notes.append(
                f"an order at {segment['wave'][0]:.6g}-{segment['wave'][-1]:.6g} Angstrom lies "
                "inside the range already covered: left out"
            )
            continue
        bottom = float(segment["wave"][0])
        if bottom <= top:  # overlap: each order keeps its half
            cut = 0.5 * (bottom + top)
            joined[-1] = _take(previous, previous["wave"] <= cut)
            segment = _take(segment, segment["wave"] > cut)
        joined.append(segment)
    return {role: np.concatenate([s[role] for s in joined]) for role in roles}
