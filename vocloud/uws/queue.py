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


@cache
def actors() -> dict[str, dramatiq.Actor]:
    return {
        queue: dramatiq.actor(
            _execute,
            actor_name=f"run_job_{queue}",
            queue_name=queue,
            broker=broker(),
            max_retries=0,
            time_limit=_NO_TIME_LIMIT_MS,
        )
        for queue in QUEUES
    }


def enqueue(job_pk: int, kind_name: str) -> bool:
    """Send the job's message; False (logged) when the broker cannot be reached.

    The caller keeps the job QUEUED either way: a job whose message did not go out is marked
    ``unsent`` and the janitor sends it again once the broker answers.
    """
    try:
        actors()[KINDS[kind_name].queue].send(job_pk)
    except (dramatiq.errors.DramatiqError, redis.exceptions.RedisError, OSError) as exc:
        logger.warning("broker unreachable, job %s waits to be sent again: %s", job_pk, exc)
        return False
    return True
