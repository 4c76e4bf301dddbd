import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from vocloud import launcher
from vocloud.uws.queue import embedded_socket


def worker_children(python: str, manage: str, threads: int, env: dict) -> list[launcher.Child]:
    """A worker for the cpu queue, one for the gpu queue (one job at a time, all cores)."""
    cores = str(os.cpu_count() or 1)
    gpu_env = {
        **env,
        "OMP_NUM_THREADS": cores,
        "TF_NUM_INTRAOP_THREADS": cores,
        "TF_NUM_INTEROP_THREADS": "1",
        "NUMBA_NUM_THREADS": cores,
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    light = [python, manage, "worker", "--queues", "cpu", "--threads", str(threads)]
    learning = [python, manage, "worker", "--queues", "gpu", "--threads", "1"]
    return [
        launcher.Child("worker", light, restart=True, env=env),
        launcher.Child("worker-gpu", learning, restart=True, env=gpu_env),
    ]


class Command(BaseCommand):
    help = "Run the whole platform: broker (embedded by default), web, worker and janitor."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument(
            "--web-threads",
            type=int,
            default=16,
            help="threads per web worker (blocking WAITs hold one each)",
        )
        parser.add_argument("--worker-threads", type=int, default=settings.VOCLOUD_WORKER_THREADS)
        parser.add_argument(
            "--no-worker", action="store_true", help="run no job worker (jobs stay QUEUED)"
        )

    def handle(self, host, port, web_workers, web_threads, worker_threads, no_worker, **opts):
        run_dir = settings.DATA_DIR / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        env = {}
        children: list[launcher.Child] = []
        if not settings.VOCLOUD_BROKER_URL:
            # Restarted like the workers when it dies: its append-only file keeps the queue,
            # and web, workers and janitor reconnect (a job created meanwhile is marked
            # unsent and sent again by the janitor).
            broker = launcher.Child(
                "broker",
                launcher.redis_server_argv(run_dir, settings.DATA_DIR),
                restart=True,
                last=True,
            )
            broker.start(run_dir)
            launcher.wait_for_socket(run_dir / "redis.sock", broker.process)
            env["VOCLOUD_BROKER_URL"] = f"unix://{embedded_socket()}"
            children.append(broker)
        web = launcher.Child(
            "web",
            [
                python,
                "-m",
                "gunicorn",
                "vocloud.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(web_workers),
                "--threads",
                str(web_threads),
                "--worker-class",
                "gthread",
                "--timeout",
                "120",
                # A request still running then (a blocking WAIT) is cut: stopping takes
                # seconds, and UWS clients poll again.
                "--graceful-timeout",
                "3",
                # Views are imported once, in the master (vocloud/wsgi.py), not per worker.
                "--preload",
                "--log-level",
                "warning",
                "--chdir",
                str(settings.BASE_DIR),
            ],
            restart=False,
            env=env,
        )
        children.append(web)
        if not no_worker:
            children += worker_children(python, manage, worker_threads, env)
        children.append(
            launcher.Child("janitor", [python, manage, "janitor"], restart=True, env=env)
        )
        for child in children[1 if env else 0 :]:
            child.start(run_dir)
        url = f"http://{host}:{port}/"
        try:
            launcher.wait_for_http(f"{url}health", web.process)
        except RuntimeError as exc:
            self.stderr.write(str(exc))
            launcher.stop(children)
            sys.exit(1)
        self.stdout.write(f"vocloud is running at {url} (Ctrl-C stops it)")
        self.stdout.flush()
        launcher.exit_now(launcher.supervise(children, run_dir))
