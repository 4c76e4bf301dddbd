"""Nothing on a job's critical path waits for a poll tick: an idle worker blocks on its
queue's wake-up list and a blocking WAIT on its job's channel (a real Redis server)."""

from __future__ import annotations

import threading
import time

import dramatiq
import pytest

from vocloud.uws import events, queue
from vocloud.uws.execution import _offer_next
from vocloud.uws.kinds import KINDS
from vocloud.uws.models import Phase
from vocloud.uws.service import create_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_broker(own_redis, settings):
    """The platform's broker on a Redis server of the test's own (database 3)."""
    settings.VOCLOUD_BROKER_URL = own_redis.url(3)
    queue.broker.cache_clear()
    queue.actors.cache_clear()
    queue.shard_actors.cache_clear()
    broker = queue.broker()
    broker.client.flushdb()
    yield broker
    broker.client.flushdb()
    queue.broker.cache_clear()
    queue.actors.cache_clear()
    queue.shard_actors.cache_clear()


def _in_thread(function):
    box: dict = {}

    def run():
        start = time.monotonic()
        box["value"] = function()
        box["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


def test_an_idle_consumer_blocks_until_its_timeout(redis_broker):
    consumer = redis_broker.consume("cpu", prefetch=1, timeout=1000)
    start = time.monotonic()
    assert next(consumer) is None
    # dramatiq's own consumer sleeps 5 ms after a first empty fetch; ours waits on the list.
    assert time.monotonic() - start >= 0.8


def test_a_message_wakes_an_idle_consumer_at_once(redis_broker):
    queue.actors()  # declares the queues
    consumer = redis_broker.consume("cpu", prefetch=1, timeout=20_000)
    thread, box = _in_thread(lambda: next(consumer))
    time.sleep(0.5)  # the consumer is blocked now
    queue.enqueue(12345, "selftest")
    thread.join(30)
    assert box["value"] is None and box["seconds"] < 10  # woken, far before its timeout
    message = next(consumer)
    assert message is not None and message.args == (12345,)
    consumer.ack(message)


def test_a_delayed_message_still_arrives(redis_broker):
    queue.actors()
    assert queue.enqueue(777, "selftest", delay_ms=100)
    consumer = redis_broker.consume(dramatiq.common.dq_name("cpu"), prefetch=1, timeout=500)
    deadline = time.monotonic() + 10
    message = None
    while message is None and time.monotonic() < deadline:
        message = next(consumer)
    assert message is not None and message.args == (777,)


def test_a_phase_change_wakes_a_waiting_client_at_once(redis_broker, alice):
    job = create_job(alice, KINDS["selftest"], {})
    with events.listening(job.pk) as pause:
        thread, box = _in_thread(lambda: pause(30))
        time.sleep(0.3)
        events._publish(job.pk)
        thread.join(30)
    # The safety re-read comes every 2 s; an announcement ends the pause before it.
    assert box["seconds"] < events.SAFETY_POLL - 0.5


def test_with_the_broker_unreachable_a_pause_is_a_short_sleep(settings, alice):
    settings.VOCLOUD_BROKER_URL = "redis://127.0.0.1:1/0"  # nobody listens there
    queue.broker.cache_clear()
    try:
        with events.listening(1) as pause:
            start = time.monotonic()
            pause(30)
            assert time.monotonic() - start <= events.FALLBACK_POLL + 1
    finally:
        queue.broker.cache_clear()


def test_a_finished_job_offers_its_owners_oldest_queued_job(redis_broker, alice):
    queue.actors()
    older = create_job(alice, KINDS["selftest"], {})
    newer = create_job(alice, KINDS["selftest"], {})
    for job in (older, newer):
        type(job).objects.filter(pk=job.pk).update(phase=Phase.QUEUED)
    _offer_next(alice.pk)
    consumer = redis_broker.consume("cpu", prefetch=1, timeout=500)
    message = next(consumer) or next(consumer)
    assert message is not None and message.args == (older.pk,)
