"""Transcript files shared in Slack (.vtt, .srt, .txt): looked up, downloaded with the bot token
and read into text for the extractor.

A transcript download is slow work that never runs inside a transaction: the listeners
download first (`read_*_transcript`) and hand the text to the unit of work that stores the
recap."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError

from bot.app.runtime import Runtime
from bot.errors import UserError
from bot.services.recaps.common import dicts
from bot.slack.client import LookupDeferred
from bot.text import escaping as slack_text
from bot.text import transcripts

TRANSCRIPT_EXTENSIONS = (".vtt", ".srt", ".txt")
DOWNLOAD_TIMEOUT = 10.0  # in the background (after the ack of a button or shortcut)
MB = 1024 * 1024


class TranscriptProblem(UserError):
    """A transcript that cannot be read. `message` is escaped for an ephemeral (mrkdwn): the
    file's name is someone's words; `plain` is the same for a modal field error."""

    def __init__(self, plain: str) -> None:
        super().__init__(slack_text.mrkdwn(plain))
        self.plain = plain


@dataclass
class Transcript:
    """A transcript file read outside any transaction, handed to the unit that stores it."""

    name: str
    raw: str  # the file's text, verbatim
    text: str  # "Speaker: words" lines for the extractor


def is_transcript(name: str | None) -> bool:
    return bool(name) and str(name).lower().endswith(TRANSCRIPT_EXTENSIONS)


def _bot_token(runtime: Runtime, team_id: str) -> str:
    try:
        token = runtime.directory.client(team_id).token
    except LookupError:
        token = None
    if not token:
        raise UserError("This workspace's installation is missing; ask your admin to reinstall.")
    return str(token)


def _allowed_file_host(runtime: Runtime, url: str) -> bool:
    """The bot token goes only to Slack's file hosts (or the configured API host)."""
    host = (urlsplit(url).hostname or "").lower()
    api_host = (urlsplit(runtime.settings.slack_api_url).hostname or "").lower()
    return host == api_host or host == "slack.com" or host.endswith(".slack.com")


def _too_large(name: str, size: int) -> TranscriptProblem:
    limit = transcripts.MAX_TRANSCRIPT_BYTES
    return TranscriptProblem(
        f"{name} is {size / MB:.1f} MB; transcripts can be up to {limit / MB:.0f} MB. "
        "Paste the summary instead."
    )


def _file_info(runtime: Runtime, team_id: str, file: dict[str, Any], name: str) -> dict[str, Any]:
    """A shared file's details (files.info through the directory's cache)."""
    try:
        info = runtime.directory.file(team_id, str(file["id"]))
    except LookupDeferred:
        raise
    except SlackApiError as exc:
        raise TranscriptProblem(
            f"I couldn't get {name} from Slack ({exc.response.get('error')}); "
            "paste the summary instead."
        ) from None
    except LookupError:
        raise TranscriptProblem(
            f"I couldn't get {name} from Slack (no answer from Slack); try again in a minute."
        ) from None
    if info is None:
        raise TranscriptProblem(f"{name} is no longer in Slack; paste the summary instead.")
    return {**file, **info}


def download_transcript(
    runtime: Runtime, team_id: str, file: dict[str, Any], *, timeout: float = DOWNLOAD_TIMEOUT
) -> tuple[str, bytes]:
    """(file name, content) of a transcript file, fetched from `url_private` with the bot token.

    Slow: never called inside a transaction. The size is checked before anything is
    downloaded; every failure is a TranscriptProblem."""
    name = str(file.get("name") or file.get("title") or file.get("id") or "the file")
    token = _bot_token(runtime, team_id)
    url = file.get("url_private_download") or file.get("url_private")
    if (not url or file.get("size") is None) and file.get("id"):
        file = _file_info(runtime, team_id, file, name)
        url = file.get("url_private_download") or file.get("url_private")
    if not is_transcript(name):
        raise TranscriptProblem(f"{name} is not a transcript: I read .vtt, .srt and .txt files.")
    size = file.get("size")
    limit = transcripts.MAX_TRANSCRIPT_BYTES
    if isinstance(size, int) and size > limit:
        raise _too_large(name, size)
    if not url or not _allowed_file_host(runtime, str(url)):
        raise TranscriptProblem(f"I couldn't download {name}; paste the summary instead.")
    request = urllib.request.Request(
        str(url), headers={"Authorization": f"Bearer {token}"}, method="GET"
    )
    try:
        with transcripts.DOWNLOAD_OPENER.open(request, timeout=timeout) as resp:
            data: bytes = resp.read(limit + 1)
            content_type = str(resp.headers.get("Content-Type") or "")
    except urllib.error.HTTPError as exc:
        raise TranscriptProblem(
            f"I couldn't download {name} (Slack answered {exc.code}); paste the summary instead."
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError):
        raise TranscriptProblem(
            f"I couldn't download {name} (no answer from Slack); try again in a minute."
        ) from None
    if len(data) > limit:
        raise _too_large(name, len(data))
    if content_type.startswith("text/html"):
        # Slack answers a login page, not the file, when the token may not read it.
        raise TranscriptProblem(f"I'm not allowed to read {name}; paste the summary instead.")
    return name, data


def read_transcript(
    runtime: Runtime, team_id: str, file: dict[str, Any], *, timeout: float = DOWNLOAD_TIMEOUT
) -> Transcript:
    """Download and read a transcript file (outside any transaction)."""
    name, data = download_transcript(runtime, team_id, file, timeout=timeout)
    try:
        text = transcripts.transcript_to_text(name, data)  # binary, wrong encoding …
        raw = transcripts.decode_text(data, name)
    except TranscriptProblem:
        raise
    except UserError as exc:
        raise TranscriptProblem(exc.message) from None
    return Transcript(name=name, raw=raw, text=text)


def transcript_in(message: dict[str, Any]) -> dict[str, Any] | None:
    """The first transcript file attached to a message, if any."""
    for file in dicts(message.get("files")):
        if is_transcript(file.get("name")):
            return file
    return None
