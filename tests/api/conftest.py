"""The JSON API in process: token-authenticated clients for alice and bob, a tiny dataset."""

from __future__ import annotations

import numpy as np
import pytest
from django.conf import settings
from django.test import Client

from services.datasets import DatasetWriter, Grid
from services.storage import UserSpace, user_space

API = "/api/v1"
GRID = Grid.linear(4000.0, 5000.0, 11)


def token_client(user) -> Client:
    from vocloud.accounts.models import ApiToken

    _token, key = ApiToken.issue(user, "tests")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


@pytest.fixture
def as_alice(alice) -> Client:
    return token_client(alice)


@pytest.fixture
def as_bob(bob) -> Client:
    return token_client(bob)


def space_of(user) -> UserSpace:
    return user_space(settings.DATA_DIR, user.pk).ensure()


def write_dataset(user, name: str = "stars", n: int = 7, seed: int = 0) -> dict[str, np.ndarray]:
    """A dataset of ``n`` random rows on :data:`GRID` in ``user``'s space; its arrays."""
    rng = np.random.default_rng(seed)
    flux = rng.normal(1, 0.1, (n, GRID.n_pix)).astype(np.float32)
    ivar = rng.uniform(1, 2, (n, GRID.n_pix)).astype(np.float32)
    mask = rng.uniform(size=(n, GRID.n_pix)) < 0.2
    with DatasetWriter(space_of(user).datasets, name, GRID, capacity=n) as writer:
        for i in range(n):
            writer.append(flux[i], ivar[i], mask[i], {"path": f"s/{i}.fits", "ra": 1.5 * i})
        writer.commit({"sources": ["s"], "failures": []})
    return {"flux": flux, "ivar": ivar, "mask": mask, "wave": GRID.wave()}
