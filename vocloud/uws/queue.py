"""The dramatiq broker and one actor per queue; a message carries only the job's pk."""

import logging
from functools import cache
from urllib.parse import urlsplit

import dramatiq
import dramatiq.errors
import redis.exceptions
from django.conf import settings

from vocloud.uws.kinds import KINDS, QUEUES

logger = logging.getLogger(__name__)

_UNREACHABLE = (dramatiq.errors.DramatiqError, redis.exceptions.RedisError, OSError)

# Jobs enforce their own execution duration; dramatiq's limit must never fire first.
_NO_TIME_LIMIT_MS = 365 * 24 * 3600 * 1000


def broker_url() -> str:
    url = settings.VOCLOUD_BROKER_URL
    if not url:
        return f"unix://{embedded_socket()}"
    return url


def embedded_socket() -> str:
    return str(settings.DATA_DIR / "run" / "redis.sock")


@cache
def broker() -> dramatiq.Broker:
    url = broker_url()
    scheme = urlsplit(url).scheme
    if scheme in ("amqp", "amqps"):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        instance = RabbitmqBroker(url=url)
    elif scheme in ("redis", "rediss", "unix"):
        from dramatiq.brokers.redis import RedisBroker

        instance = RedisBroker(url=url, heartbeat_timeout=20_000)
    else:
        raise ValueError(f"VOCLOUD_BROKER_URL: unsupported scheme {scheme!r}")
    dramatiq.set_broker(instance)
    return instance


def _execute(job_pk: int) -> None:
    from vocloud.uws.execution import execute

    execute(job_pk)


def _execute_shard(shard_pk: int) -> None:
    from vocloud.uws.execution import execute_shard

    execute_shard(shard_pk)


def _actor(function, name: str, queue: str) -> dramatiq.Actor:
    return dramatiq.actor(
        function,
        actor_name=name,
        queue_name=queue,
        broker=broker(),
        max_retries=0,
        time_limit=_NO_TIME_LIMIT_MS,
    )


@cache
def actors() -> dict[str, dramatiq.Actor]:
    """One job actor per queue (declaring the queues); shard actors are declared too."""
    shard_actors()
    return {queue: _actor(_execute, f"run_job_{queue}", queue) for queue in QUEUES}


@cache
def shard_actors() -> dict[str, dramatiq.Actor]:
    return {queue: _actor(_execute_shard, f"run_shard_{queue}", queue) for queue in QUEUES}


def queue_of(kind_name: str) -> str:
    return KINDS[kind_name].queue


def enqueue(job_pk: int, kind_name: str, delay_ms: int | None = None) -> bool:
    """Send the job's message (after ``delay_ms``); False (logged) when the broker cannot be
    reached.

    The caller keeps the job QUEUED either way: a job whose message did not go out is marked
    ``unsent`` and the janitor sends it again once the broker answers.
    """
    try:
        actors()[KINDS[kind_name].queue].send_with_options(args=(job_pk,), delay=delay_ms)
    except _UNREACHABLE as exc:
        logger.warning("broker unreachable, job %s waits to be sent again: %s", job_pk, exc)
        return False
    return True


def enqueue_shard(shard_pk: int, queue: str) -> bool:
    """Offer a shard to the queue's workers; False (logged) when the broker is unreachable.

    Nothing is lost then: the job's own worker takes every shard nobody else took.
    """
    try:
        shard_actors()[queue].send(shard_pk)
    except _UNREACHABLE as exc:
        logger.warning("broker unreachable, shard %s left to its job's worker: %s", shard_pk, exc)
        return False
    return True
