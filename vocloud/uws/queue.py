"""The dramatiq broker and one actor per queue; a message carries only the job's pk.

On Redis (the embedded default and production) a message wakes an idle worker at once:
dramatiq's own Redis consumer sleeps a growing back-off (up to the worker timeout) between
empty fetches, so a job sent to an idle worker waited up to half a second before anyone
looked. Here every enqueue also pushes a token on a per-queue wake-up list, and an idle
consumer blocks on that list (``BLPOP``) instead of sleeping. RabbitMQ pushes messages to
its consumers by itself.
"""

import logging
from functools import cache
from urllib.parse import urlsplit

import dramatiq
import dramatiq.errors
import redis.exceptions
from django.conf import settings
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer

from vocloud.uws.kinds import KINDS, QUEUES

logger = logging.getLogger(__name__)

_UNREACHABLE = (dramatiq.errors.DramatiqError, redis.exceptions.RedisError, OSError)

# Jobs enforce their own execution duration; dramatiq's limit must never fire first.
_NO_TIME_LIMIT_MS = 365 * 24 * 3600 * 1000


def wake_key(queue_name: str) -> str:
    """The Redis list an idle consumer of ``queue_name`` blocks on."""
    return f"vocloud:wake:{queue_name}"


_WAKE_TOKENS = 16  # more would only wake consumers that find nothing
_WAKE_TTL_S = 60


class _WakingConsumer(_RedisConsumer):
    """dramatiq's Redis consumer, idling on the queue's wake-up list instead of sleeping."""

    def __next__(self):
        if not self.message_cache and self.outstanding_message_count < self.prefetch:
            try:
                wanted = self.prefetch - self.outstanding_message_count
                self.message_cache = self.broker.do_fetch(self.queue_name, wanted)
                if not self.message_cache:
                    # Woken by an enqueue, or after the idle timeout as before (never 0:
                    # that would block for good).
                    idle = max(self.timeout, 10) / 1000
                    self.broker.client.blpop([wake_key(self.queue_name)], idle)
                    return None
            except redis.exceptions.ConnectionError as exc:
                raise dramatiq.errors.ConnectionClosed(exc) from None
        return super().__next__()


class WakingRedisBroker(RedisBroker):
    """A Redis broker whose enqueue wakes an idle consumer of the queue at once."""

    consumer_class = _WakingConsumer

    def enqueue(self, message, *, delay=None):
        sent = super().enqueue(message, delay=delay)
        key = wake_key(sent.queue_name)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.rpush(key, 1).ltrim(key, -_WAKE_TOKENS, -1).expire(key, _WAKE_TTL_S)
            pipe.execute()
        return sent


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
        instance = WakingRedisBroker(url=url, heartbeat_timeout=20_000)
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
