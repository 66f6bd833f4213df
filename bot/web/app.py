"""The Flask application factory."""

import logging

from flask import Flask, request

from bot import context
from bot.config import load_config
from bot.domain import (
    audit,  # noqa: F401  (records organisers' changes as they are flushed)
    privacy,
)
from bot.text import links

logger = logging.getLogger(__name__)


def create_app(config: dict | None = None, web: bool = True) -> Flask:
    """Build the app. It never starts a scheduler or a dispatcher itself.

    `web=False` is the app a command runs in: settings, the database and logging, without the
    pages, the API and the webhooks, whose modules take most of a command's start-up; `serve`
    adds them (`add_web`) before it serves."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    links.set_public_url(app.config["PUBLIC_URL"])  # the one address every result message names
    privacy.set_retention_days(app.config["RETENTION_DAYS"])  # what MY DATA and the notice say
    configure_logging(app.config["LOG_LEVEL"])
    context.init_app(app)
    if web:
        add_web(app)
    return app


def add_web(app: Flask) -> Flask:
    """Give `app` its pages, API and webhooks, once."""
    if app.extensions.get("commonpurse.web"):
        return app
    from flask_wtf.csrf import CSRFProtect
    from werkzeug.middleware.proxy_fix import ProxyFix

    from bot.web import dashboard, errors, headers, health, outage, public, referrals, webhooks
    from bot.web.api import announcements as api_announcements
    from bot.web.api import council as api_council
    from bot.web.api import ideas as api_ideas
    from bot.web.api import money as api_money
    from bot.web.api import openapi
    from bot.web.api import projects as api_projects
    from bot.web.api import referrals as api_referrals
    from bot.web.api import residents as api_residents
    from bot.web.api import rounds as api_rounds
    from bot.web.dashboard import (
        auth,
        council,
        digest,
        filters,
        ideas,
        inbox,
        money,
        overview,
        projects,
        rounds,
        two_factor,
        whatsapp,
    )
    from bot.web.dashboard import referrals as dashboard_referrals
    from bot.web.rules import LazyRule

    app.extensions["commonpurse.web"] = True
    app.url_rule_class = LazyRule  # url_for's code is built when first needed, not at start
    # The API's parts: bearer tokens, not forms, so no CSRF token either.
    api = [openapi.bp, api_ideas.bp, api_rounds.bp, api_money.bp, api_projects.bp, api_council.bp]
    api += [api_referrals.bp, api_residents.bp, api_announcements.bp]
    # The dashboard: its shared templates and static files, then its pages.
    pages = [dashboard.bp, auth.bp, overview.bp, inbox.bp, ideas.bp, rounds.bp, money.bp, projects.bp]
    pages += [digest.bp, whatsapp.bp, council.bp, two_factor.bp, dashboard_referrals.bp]
    app.register_blueprint(health.bp)
    providers = webhooks.init_app(app)
    for blueprint in (*api, *pages, public.bp, referrals.bp):
        app.register_blueprint(blueprint)
    errors.init_app(app)
    outage.init_app(app)
    headers.init_app(app)
    filters.init_app(app)
    # CSRF tokens on every form post; providers' webhooks (every registered channel's) and the
    # bearer-token API are not forms (they carry their own proof), so they are exempt.
    csrf = CSRFProtect(app)
    for blueprint in (*providers, *api):
        csrf.exempt(blueprint)
    proxies = int(app.config["PROXY_FIX"])
    if proxies:
        # As Flask's docs wrap it; mypy sees only that wsgi_app is a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies, x_prefix=proxies
        )
    else:
        _warn_of_an_unseen_proxy(app)
    return app


def _warn_of_an_unseen_proxy(app: Flask) -> None:
    """Behind a proxy with COMMONPURSE_PROXY_FIX=0, every visitor has the proxy's address: 20
    failed sign-ins from anyone lock every organiser out, and links are built for the wrong
    host. Said once, at the first request that shows it, since nothing shows it at start-up."""
    warned = False

    @app.before_request
    def look() -> None:
        nonlocal warned
        if not warned and request.headers.get("X-Forwarded-For"):
            warned = True
            logger.warning(
                "requests arrive through a proxy (X-Forwarded-For) but COMMONPURSE_PROXY_FIX is 0: "
                "every visitor looks like the proxy, so failed sign-ins from anyone count against "
                "everyone; set COMMONPURSE_PROXY_FIX to the number of proxies in front of the app"
            )


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Telegram API URLs contain the bot token: httpx logs them at INFO, telegram.Bot at DEBUG.
    for name in ("httpx", "httpcore", "telegram"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # One line per job run (the lease renews every 30 s) drowns everything else.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    # The twilio client logs every request, with phone numbers and message text, at INFO.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
