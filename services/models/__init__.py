"""Bayesian deep learning models (Keras 3): the only package of vocloud that imports Keras.

Backend-neutral: only ``keras`` and ``keras.ops``. Library code sets no global thread or
backend state; a worker caps its thread pools (``OMP_NUM_THREADS``,
``TF_NUM_INTRAOP_THREADS``, ``TF_NUM_INTEROP_THREADS``) before importing this package.

Public API
----------
MCDropout, ConcreteDropout, reset_dropout_seeds
    Dropout that stays on at prediction time; learned-rate concrete dropout; seeding.
Head, GaussianNLL, BinomialNLL, balanced_class_weights
    Classification, heteroscedastic regression and binomial vote-count heads.
build_spectrum_cnn, build_dbal_mnist_cnn
    The 1-D spectrum CNN and the 2-D CNN of the DBAL MNIST experiments.
fit
    Training with early stopping on the validation loss and ``progress(fraction, message)``.
mc_predict, split_at_first_stochastic
    MC-dropout scoring of chunked pools, computing the deterministic trunk once.
save_model, load_model, read_sidecar, check_compatible, Sidecar
    ``.keras`` artefact plus JSON sidecar; refusing a model trained on another grid.
fit_members, combine, is_ensemble, ensemble_size
    Deep ensembles scored through ``mc_predict`` like MC dropout (one sample per member).
"""

from services.models.architectures import (
    build_dbal_mnist_cnn,
    build_spectrum_cnn,
    compile_for_head,
)
from services.models.artefacts import (
    Sidecar,
    check_compatible,
    load_model,
    read_sidecar,
    save_model,
)
from services.models.ensemble import combine, ensemble_size, fit_members, is_ensemble
from services.models.heads import (
    BinomialNLL,
    GaussianNLL,
    Head,
    balanced_class_weights,
    head_kind_of,
)
from services.models.layers import ConcreteDropout, MCDropout, reset_dropout_seeds
from services.models.scoring import check_finite, mc_predict, split_at_first_stochastic
from services.models.training import ProgressCallback, fit

__all__ = [
    "BinomialNLL",
    "ConcreteDropout",
    "GaussianNLL",
    "Head",
    "MCDropout",
    "ProgressCallback",
    "Sidecar",
    "balanced_class_weights",
    "build_dbal_mnist_cnn",
    "build_spectrum_cnn",
    "check_compatible",
    "check_finite",
    "combine",
    "compile_for_head",
    "ensemble_size",
    "fit",
    "fit_members",
    "head_kind_of",
    "is_ensemble",
    "load_model",
    "mc_predict",
    "read_sidecar",
    "reset_dropout_seeds",
    "save_model",
    "split_at_first_stochastic",
]
