"""gunicorn settings, read from the working directory.

The glossary (CC-CEDICT plus the supplement) is built on first use: ~4 s of CPU, more on a busy machine.
Built lazily, each worker paid it inside its first Chinese search or publish, and with several workers
building at once on two cores that request passed gunicorn's 30 s timeout: the worker was killed, the
client got a 500 and the next worker started from nothing again (benchmarks/load.py). Built here,
before the workers are forked, every worker starts with it (shared copy-on-write). Only pure data is
built: no app and no database connection exist in the master, so nothing unsafe is inherited by a fork.

Each worker then loads its matching index before taking requests (`post_worker_init`), so that no
user's publish waits for it.

Threaded workers with keep-alive: a sync worker closes the connection after every response, so each
request paid a new TCP connection on both sides, and a worker waiting for PostgreSQL left its share
of the CPU idle. benchmarks/load.py, 4 workers, same machine minutes apart: gthread × 4 served
127 requests/s at 8.6 ms of worker CPU each, sync 72 at 9.3 ms. The app keeps no per-request state
outside Flask's contexts, and the matching engine is used under its lock (services.index).
"""

worker_class = "gthread"
threads = 4
keepalive = 5  # seconds an idle keep-alive connection is held


def when_ready(server) -> None:
    from matchmaker.warmup import warm_text

    warm_text()  # builds and caches the glossary in this process
    server.log.info("Matching glossary built; forking workers")


def post_worker_init(worker) -> None:
    from matchmaker.warmup import warm_index

    try:
        worker.log.info("Matching index ready in worker %s: %s postings", worker.pid, warm_index(worker.wsgi))
    except Exception:  # a database down at start must not stop the worker: its first publish loads it
        worker.log.exception("Could not load the matching index at start; the first use will")
