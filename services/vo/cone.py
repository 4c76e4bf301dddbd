"""The cone an SSAP query asked for, checked on what the service answered.

SSAP 1.1 defines ``SIZE`` as the *diameter* of the search region; some services (GAVO
DaCHS among them) read it as a radius and answer up to four times the area. vocloud sends
the diameter the user gave and then keeps only the rows whose position lies within
``SIZE / 2`` of ``POS`` (great-circle distance), so that SIZE means the same on every
server. Rows without a position cannot be checked: they are kept and counted.

Distances are in degrees, computed with the Vincenty formula (accurate at every
separation, unlike the arccos of the cosine law at small ones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# A row this little beyond the radius is inside: services round positions they serve.
TOLERANCE_DEG = 1e-6


def separation_deg(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Great-circle distance between positions, in degrees.

    Parameters
    ----------
    ra1, dec1, ra2, dec2 : float or ndarray
        Positions in degrees; arrays broadcast against each other.

    Returns
    -------
    ndarray
        The separation in degrees, in [0, 180]; NaN where a position is NaN.
    """
    l1, b1, l2, b2 = (np.radians(np.asarray(v, dtype=float)) for v in (ra1, dec1, ra2, dec2))
    dl = l2 - l1
    num1 = np.cos(b2) * np.sin(dl)
    num2 = np.cos(b1) * np.sin(b2) - np.sin(b1) * np.cos(b2) * np.cos(dl)
    denominator = np.sin(b1) * np.sin(b2) + np.cos(b1) * np.cos(b2) * np.cos(dl)
    return np.degrees(np.arctan2(np.hypot(num1, num2), denominator))


@dataclass(frozen=True)
class ConeCheck:
    """Which rows of an answer lie in the requested cone.

    Parameters
    ----------
    keep : ndarray of bool, shape (n_rows,)
        True for rows inside the cone or without a position.
    n_outside : int
        Rows left out (farther than ``SIZE / 2`` from ``POS``).
    n_without_position : int
        Rows kept because they have no position.
    farthest_deg : float
        Largest distance of a row from ``POS`` (NaN without positions).
    diameter_deg : float
        The diameter asked for (``SIZE``).
    """

    keep: np.ndarray
    n_outside: int
    n_without_position: int
    farthest_deg: float
    diameter_deg: float

    @property
    def size_read_as_radius(self) -> bool:
        """The answer looks like a search of radius ``SIZE``: rows beyond ``SIZE/2`` but
        none beyond ``SIZE``."""
        return self.n_outside > 0 and self.farthest_deg <= self.diameter_deg + TOLERANCE_DEG

    def notes(self) -> list[str]:
        """Sentences for the report: what was left out and why, what could not be checked."""
        notes = []
        size = f"{self.diameter_deg:g}°"
        if self.n_outside:
            why = (
                "the service reads SIZE as a radius"
                if self.size_read_as_radius
                else f"the service searched farther, up to {self.farthest_deg:.3g}° from POS"
            )
            noun = "result" if self.n_outside == 1 else "results"
            notes.append(
                f"{self.n_outside} {noun} outside the {size} diameter you asked for "
                f"{'was' if self.n_outside == 1 else 'were'} left out: {why}"
            )
        if self.n_without_position:
            n = self.n_without_position
            notes.append(
                f"{n} {'result has' if n == 1 else 'results have'} no position and "
                f"{'was' if n == 1 else 'were'} kept (not checked against the {size} cone)"
            )
        return notes


def check_cone(
    ra_deg: np.ndarray, dec_deg: np.ndarray, pos: tuple[float, float], size_deg: float
) -> ConeCheck:
    """Keep the rows within ``size_deg / 2`` of ``pos`` (and those without a position).

    Parameters
    ----------
    ra_deg, dec_deg : ndarray, shape (n_rows,)
        Row positions in degrees; NaN where a row has none.
    pos : (float, float)
        The search centre (RA, Dec) in degrees.
    size_deg : float
        The diameter of the search region in degrees (SSAP ``SIZE``).
    """
    ra, dec = np.asarray(ra_deg, dtype=float), np.asarray(dec_deg, dtype=float)
    distance = separation_deg(pos[0], pos[1], ra, dec)  # (n_rows,), NaN without a position
    known = np.isfinite(distance)
    outside = known & (distance > size_deg / 2 + TOLERANCE_DEG)
    return ConeCheck(
        keep=~outside,
        n_outside=int(outside.sum()),
        n_without_position=int((~known).sum()),
        farthest_deg=float(distance[known].max()) if known.any() else math.nan,
        diameter_deg=float(size_deg),
    )
