"""gunicorn settings, read from the working directory: build the matching glossary once, in the master.

The glossary (CC-CEDICT plus the supplement) is built on first use: ~4 s of CPU, more on a busy machine.
Built lazily, each worker paid it inside its first Chinese search or publish, and with several workers
building at once on two cores that request passed gunicorn's 30 s timeout: the worker was killed, the
client got a 500 and the next worker started from nothing again (benchmarks/load.py). Built here,
before the workers are forked, every worker starts with it (shared copy-on-write). Only pure data is
built: no app and no database connection exist in the master, so nothing unsafe is inherited by a fork.
"""


def when_ready(server) -> None:
    from matchmaker.matching.text import analyze

    analyze("warm up 石墨烯")  # builds and caches the glossary in this process
    server.log.info("Matching glossary built; forking workers")
