"""Glue between datasets, label snapshots, models and acquisition, for the learning kinds.

Nothing here imports Keras at module level: kinds import :mod:`services.models` inside
their ``run`` so that the web process (which imports kind modules for forms and docs)
never loads TensorFlow.
"""
