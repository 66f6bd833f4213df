"""What the job functions need at run time: the app, and the running scheduler."""

from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

_state: dict[str, Any] = {}  # app, scheduler and holder, as bind() set them


def bind(app: Flask, scheduler: BaseScheduler, holder: str) -> None:
    _state.update(app=app, scheduler=scheduler, holder=holder)


def app() -> Flask:
    bound: Flask = _state["app"]
    return bound


def scheduler() -> BaseScheduler:
    return _state["scheduler"]


def holder() -> str:
    bound: str = _state["holder"]
    return bound
