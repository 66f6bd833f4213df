"""What the job functions need at run time: the app, and the running scheduler."""

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

_state: dict = {}


def bind(app: Flask, scheduler: BaseScheduler, holder: str) -> None:
    _state.update(app=app, scheduler=scheduler, holder=holder)


def app() -> Flask:
    return _state["app"]


def scheduler() -> BaseScheduler:
    return _state["scheduler"]


def holder() -> str:
    return _state["holder"]
