"""A finished labelling round of alice's (tests/labelling/conftest.py) for the client."""

from tests.labelling.conftest import labelling, round_outputs  # noqa: F401 (fixtures)
