"""WhatsApp page: the templates (ContentSids) a community registered for the messages we start,
per kind and language, with the body to register for each; and the WhatsApp sender. Forms go
through bot.domain.whatsapp exactly as `commonpurse whatsapp templates` and `whatsapp sender`."""

from flask import g, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.context import now
from bot.domain.whatsapp import KINDS, remove_template, set_sender, set_template, suggested_body, templates_of
from bot.text.languages import own_name
from bot.web.dashboard import blueprint
from bot.web.dashboard.auth import community_of, signed_in
from bot.web.dashboard.forms import Failure, Form, fields, submit, text_in
from models import Community

bp = blueprint("whatsapp", __name__)

TEMPLATE = fields("kind", "language", "content_sid")


@bp.get("/<slug>/whatsapp", endpoint="whatsapp")
@signed_in
def whatsapp_page(slug: str) -> ResponseReturnValue:
    """Each kind of message in each language the community writes in, and its template."""
    return _page(community_of(slug))


@bp.post("/<slug>/whatsapp/templates")
@signed_in
def templates_set(slug: str) -> ResponseReturnValue:
    """Register (or replace) a template, as `whatsapp templates set`."""
    place, form = community_of(slug), request.form

    def act() -> str:
        row = set_template(
            g.db_session,
            place,
            text_in(form, "kind"),
            text_in(form, "language"),
            text_in(form, "content_sid"),
            now(),
        )
        return (
            f"{KINDS[row.kind].title} in {own_name(row.language)} goes as {row.content_sid} "
            "outside WhatsApp's 24-hour window."
        )

    return submit(
        "template",
        act,
        again=lambda failure: _page(place, failure=failure, kept=form),
        then=url_for("whatsapp.whatsapp", slug=place.slug),
        field="content_sid",
        shown=TEMPLATE,
    )


@bp.post("/<slug>/whatsapp/templates/remove")
@signed_in
def templates_remove(slug: str) -> ResponseReturnValue:
    """Forget a template, as `whatsapp templates remove`: that kind goes by SMS again."""
    place, form = community_of(slug), request.form

    def act() -> str:
        kind, language = text_in(form, "kind"), text_in(form, "language")
        remove_template(g.db_session, place, kind, language)
        return f"Removed: {KINDS[kind].title} in {own_name(language)} goes by SMS outside the window."

    return submit(
        "remove",
        act,
        again=lambda failure: _page(place, failure=failure),
        then=url_for("whatsapp.whatsapp", slug=place.slug),
        field="kind",
    )


@bp.post("/<slug>/whatsapp/sender")
@signed_in
def sender(slug: str) -> ResponseReturnValue:
    """The WhatsApp sender, as `whatsapp sender`; empty: the SMS number."""
    place, form = community_of(slug), request.form

    def act() -> str:
        set_sender(g.db_session, place, text_in(form, "number"))
        if place.whatsapp_number:
            return f"WhatsApp goes from {place.whatsapp_number}."
        return "WhatsApp goes from the SMS number."

    return submit(
        "sender",
        act,
        again=lambda failure: _page(place, failure=failure, kept=form),
        then=url_for("whatsapp.whatsapp", slug=place.slug),
        field="number",
    )


def _page(
    place: Community, *, failure: Failure | None = None, kept: Form | None = None
) -> ResponseReturnValue:
    registered = {(t.kind, t.language): t.content_sid for t in templates_of(g.db_session, place)}
    languages = list(place.languages or ["en"])
    rows = [
        {
            "kind": kind,
            "language": language,
            "language_name": own_name(language),
            "content_sid": registered.get((kind.name, language)),
            "body": suggested_body(kind.name, language),
        }
        for kind in KINDS.values()
        for language in languages
    ]
    html = render_template(
        "dashboard/whatsapp.html",
        community=place,
        rows=rows,
        kinds=list(KINDS.values()),
        languages=[(code, own_name(code)) for code in languages],
        failure=failure,
        kept=kept or {},
    )
    return html, 422 if failure else 200
