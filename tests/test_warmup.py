"""The development server warms the matching engine before it says it is ready; nothing else does.

The timing itself is measured by benchmarks/first_save.py (a fresh `./dev serve`, first save against
second); these tests pin down when the warm-up runs, so that tests and other commands never pay for it.
"""

from __future__ import annotations

import click
import pytest

from matchmaker.warmup import serving_with_flask_run


def _inside(command_name: str, monkeypatch, *, reload=False, reloader_child=False) -> bool:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    if reloader_child:
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    else:
        monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    command = click.Command(command_name, params=[click.Option(["--reload/--no-reload"], default=None)])
    with click.Context(command, info_name=command_name) as context:
        context.params["reload"] = reload
        return serving_with_flask_run()


def test_flask_run_warms_the_process_that_serves(monkeypatch):
    assert _inside("run", monkeypatch)
    assert _inside("run", monkeypatch, reload=True, reloader_child=True)


def test_the_reloaders_watcher_does_not_warm_a_process_that_never_serves(monkeypatch):
    assert not _inside("run", monkeypatch, reload=True)


@pytest.mark.parametrize("command", ["db", "demo", "matching", "shell"])
def test_other_commands_do_not_warm(monkeypatch, command):
    assert not _inside(command, monkeypatch)


def test_outside_any_command_nothing_warms():
    assert not serving_with_flask_run()
