"""The phase machine: only the table's edges, each one a conditional update."""

import pytest

from vocloud.uws import phases
from vocloud.uws.kinds import KINDS
from vocloud.uws.models import Job, Phase
from vocloud.uws.service import create_job

ALL = [Phase.PENDING, Phase.QUEUED, Phase.EXECUTING, Phase.COMPLETED, Phase.ERROR, Phase.ABORTED]


def job_in(owner, phase) -> Job:
    job = create_job(owner, KINDS["selftest"], {})
    path = {
        Phase.PENDING: [],
        Phase.QUEUED: [Phase.QUEUED],
        Phase.EXECUTING: [Phase.QUEUED, Phase.EXECUTING],
        Phase.COMPLETED: [Phase.QUEUED, Phase.EXECUTING, Phase.COMPLETED],
        Phase.ERROR: [Phase.QUEUED, Phase.EXECUTING, Phase.ERROR],
        Phase.ABORTED: [Phase.ABORTED],
    }[phase]
    for step in path:
        assert phases.transition(job, step)
    return job


@pytest.mark.parametrize("source", ALL)
@pytest.mark.parametrize("target", ALL)
def test_only_table_edges_are_taken(alice, source, target):
    job = job_in(alice, source)
    allowed = phases.may(source, target)
    assert phases.transition(job, target) is allowed
    assert Job.objects.get(pk=job.pk).phase == (target if allowed else source)


def test_final_phases_are_final(alice):
    for final in phases.FINAL:
        assert not phases.EDGES.get(final)


def test_times_are_set_by_the_transition(alice):
    job = job_in(alice, Phase.QUEUED)
    assert job.start_time is None
    phases.transition(job, Phase.EXECUTING)
    stored = Job.objects.get(pk=job.pk)
    assert stored.start_time is not None and stored.heartbeat is not None
    phases.transition(job, Phase.COMPLETED)
    stored = Job.objects.get(pk=job.pk)
    assert stored.end_time >= stored.start_time


def test_a_stale_copy_cannot_overwrite_a_newer_phase(alice):
    job = job_in(alice, Phase.EXECUTING)
    stale = Job.objects.get(pk=job.pk)
    assert phases.transition(job, Phase.ABORTED)
    # the worker's copy still says EXECUTING: its COMPLETED must not win
    assert not phases.transition(stale, Phase.COMPLETED)
    assert Job.objects.get(pk=job.pk).phase == Phase.ABORTED
