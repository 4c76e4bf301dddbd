"""Phase changes announced to clients blocked in a UWS ``WAIT``: they wake at once.

Every phase change (:func:`vocloud.uws.phases.transition`) and every deletion publishes the
job's pk on a Redis channel once its transaction commits; a blocking ``WAIT`` subscribes to
its job's channel and re-reads the job when a message arrives, instead of looking at the
database every fraction of a second. The channel lives on the broker's Redis (the embedded
one by default, production's otherwise). Announcements are a shortcut, never the truth: a
waiting client still re-reads the job every :data:`SAFETY_POLL` seconds, and with a broker
that is not Redis (RabbitMQ) or one that cannot be reached it falls back to polling.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import redis
import redis.exceptions
from django.db import transaction

logger = logging.getLogger(__name__)

SAFETY_POLL = 2.0  # seconds between database reads while subscribed
FALLBACK_POLL = 0.2  # seconds between database reads without announcements
_ERRORS = (redis.exceptions.RedisError, OSError)


def channel(job_pk: int) -> str:
    return f"vocloud:job:{job_pk}"


def _client() -> redis.Redis | None:
    """The broker's Redis client; None with another broker or none that can be made."""
    from dramatiq.brokers.redis import RedisBroker

    from vocloud.uws.queue import broker

    try:
        instance = broker()
    except (ValueError, ImportError):  # reported where jobs are sent
        return None
    return instance.client if isinstance(instance, RedisBroker) else None


def announce(job_pk: int) -> None:
    """Tell waiting clients that job ``job_pk`` changed, once the current transaction commits."""
    transaction.on_commit(lambda: _publish(job_pk))


def _publish(job_pk: int) -> None:
    client = _client()
    if client is None:
        return
    try:
        client.publish(channel(job_pk), b"1")
    except _ERRORS as exc:  # waiting clients find the change at their next safety read
        logger.debug("could not announce job %s: %s", job_pk, exc)


@contextmanager
def listening(job_pk: int) -> Iterator[Callable[[float], None]]:
    """``pause(seconds)``: returns when job ``job_pk`` is announced or ``seconds`` passed.

    Subscribe before reading the job's state, so that no change between the read and the
    pause goes unnoticed. Without announcements the pause is a short sleep.
    """
    client = _client()
    pubsub = None
    if client is not None:
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(channel(job_pk))
        except _ERRORS as exc:
            logger.debug("no announcements for job %s: %s", job_pk, exc)
            pubsub = None

    def pause(seconds: float) -> None:
        nonlocal pubsub
        if pubsub is None:
            time.sleep(min(seconds, FALLBACK_POLL))
            return
        deadline = time.monotonic() + min(seconds, SAFETY_POLL)
        try:
            # get_message returns early on the subscription's own confirmation: loop.
            while (left := deadline - time.monotonic()) > 0:
                if pubsub.get_message(timeout=left) is not None:
                    return
        except _ERRORS as exc:
            logger.debug("announcements for job %s stopped: %s", job_pk, exc)
            pubsub = None

    try:
        yield pause
    finally:
        if pubsub is not None:
            with suppress(_ERRORS):
                pubsub.close()
