"""Identity's mail: welcome and invite messages, written from the outbox by the relay's
mail channel. `identity.mail.*` rows carry one-time links, so they never leave identity:
the channel writes them to the mail folder and scrubs the link from the row once written."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from libs.common.relay import MailChannel

MAIL_PREFIX = "identity.mail."

SUBJECTS = {
    "identity.mail.welcome": "Welcome to Weft: set your password for {tenant}",
    "identity.mail.invite": "You are invited to {tenant} on Weft",
    "identity.mail.password_reset": "Reset your Weft password for {tenant}",
    "identity.mail.magic_link": "Your sign-in link for {tenant} on Weft",
}


def render_mail(row: Any) -> EmailMessage:
    data = dict(row.data)
    msg = EmailMessage()
    msg["To"] = data.get("to", "")
    msg["From"] = "Weft <no-reply@weft.local>"
    msg["Subject"] = SUBJECTS.get(row.type, "Weft").format(tenant=data.get("tenant", "Weft"))
    msg["Message-ID"] = f"<{row.id}@weft.local>"
    lines = [f"Hello {data.get('name') or ''}".rstrip() + ",", ""]
    if row.type == "identity.mail.invite":
        lines.append(
            f"You are invited to {data.get('tenant')} with the roles "
            f"{', '.join(data.get('roles') or [])}."
        )
    elif row.type == "identity.mail.password_reset":
        lines.append(f"Someone asked to reset your password for {data.get('tenant')}.")
        lines.append("If it was not you, ignore this message: your password stays as it is.")
    elif row.type == "identity.mail.magic_link":
        lines.append(
            f"Sign in to {data.get('tenant')} (roles {', '.join(data.get('roles') or [])}) "
            "without a password: POST your email to the link below, as the partner portal does."
        )
        lines += [
            "",
            f"Your sign-in link (it works once, for this email only, and expires "
            f"{data.get('expires_at')}):",
            str(data.get("accept_url", "")),
            "",
        ]
        return _body(msg, lines)
    else:
        lines.append(f"Your Weft tenant {data.get('tenant')} is ready.")
    lines += [
        "",
        f"Set your password here (the link works once and expires {data.get('expires_at')}):",
        str(data.get("accept_url", "")),
        "",
    ]
    return _body(msg, lines)


def _body(msg: EmailMessage, lines: list[str]) -> EmailMessage:
    # 8bit: every link stays on one line (quoted-printable would fold it), so it can be
    # copied straight from the mail file
    msg.set_content("\n".join(lines), cte="8bit")
    return msg


def mail_channel(mail_dir: str) -> MailChannel:
    return MailChannel(
        prefix=MAIL_PREFIX, render=render_mail, directory=mail_dir, scrub=("accept_url",)
    )
