"""The registry of job kinds: name -> the services module that implements it.

Adding a kind is one module in ``services/`` (a pydantic ``Parameters`` model and a
``run(params, ctx)`` function, plus ``TITLE``, ``SUMMARY`` and execution-duration
defaults) and one line here. ``queue`` picks the workers that run it: ``cpu`` (ingestion,
datasets, projection, light jobs; many at a time) or ``gpu`` (training and scoring; one job
at a time per worker, on the machines with accelerators).

A kind may also split its work: with ``plan(params, ctx) -> list[dict]``,
``run_shard(params, shard, ctx)`` and ``merge(params, shards, ctx) -> list[Result]`` its
jobs run as shards that every free worker of its queue takes (:mod:`vocloud.uws.sharding`).
"""

import importlib
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType

from pydantic import BaseModel

from services.jobs.params import ParameterDoc, describe_parameters, job_fields, upload_fields


@dataclass(frozen=True)
class Kind:
    name: str
    module_name: str
    queue: str = "cpu"  # "gpu": training and scoring, for the GPU worker pool

    @cached_property
    def module(self) -> ModuleType:
        return importlib.import_module(self.module_name)

    @property
    def parameters_model(self) -> type[BaseModel]:
        return self.module.Parameters

    @property
    def title(self) -> str:
        return getattr(self.module, "TITLE", self.name)

    @property
    def summary(self) -> str:
        return getattr(self.module, "SUMMARY", "")

    @property
    def description(self) -> str:
        return (self.module.__doc__ or "").strip()

    @property
    def execution_duration(self) -> int:
        return int(getattr(self.module, "EXECUTION_DURATION", 3600))

    @property
    def max_execution_duration(self) -> int:
        return int(getattr(self.module, "MAX_EXECUTION_DURATION", 7 * 24 * 3600))

    @cached_property
    def parameters(self) -> list[ParameterDoc]:
        return describe_parameters(self.parameters_model)

    @cached_property
    def upload_names(self) -> set[str]:
        return upload_fields(self.parameters_model)

    @cached_property
    def job_refs(self) -> dict[str, str]:
        """UWS name -> kind of the job that parameter names."""
        return job_fields(self.parameters_model)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in [
        Kind("selftest", "services.selftest"),
        Kind("ingest", "services.ingest"),
        Kind("dataset", "services.dataset_build"),
        Kind("project", "services.project"),
        Kind("assess", "services.assess"),
        Kind("pretrain", "services.pretrain", queue="gpu"),
        Kind("train", "services.train", queue="gpu"),
        Kind("score", "services.score", queue="gpu"),
        Kind("al-round", "services.al_round", queue="gpu"),
        Kind("propose", "services.propose"),
    ]
}

QUEUES = sorted({kind.queue for kind in KINDS.values()})


def get_kind(name: str) -> Kind | None:
    return KINDS.get(name)
