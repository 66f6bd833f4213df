"""Security headers on every response the app gives: pages, the API, webhooks, static files
and errors alike.

The policy runs only our own script files (no inline script, no eval), so text that got past
escaping still cannot run; no other site may frame a page (the dashboard's Open round and Send
now buttons would be a click away from a hidden frame). Inline style *attributes* are allowed,
and nothing else inline: the money bar's widths and the digest preview (an email, styled
inline as emails must be, shown in a shadow root that this policy covers) use them, and an
attribute cannot run script. Images may be data: URIs (the preview's charts).
"""

from flask import Flask, Response

POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self'",  # voice ideas' recordings, played on the Ideas page
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    # Our own pages get the referrer (Flask-WTF checks it on HTTPS form posts); other sites
    # never see which page a link was followed from.
    "Referrer-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    app.after_request(secure)


def secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
