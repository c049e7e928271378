"""Tests for bot.text.transcripts: VTT/SRT/TXT to text, encodings, limits, summaries."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.text.transcripts import (
    MAX_SUMMARY_CHARS,
    MAX_TRANSCRIPT_BYTES,
    transcript_to_text,
    validate_summary,
)

TEAMS_VTT = """WEBVTT

a1b2c3/11-0
00:00:01.000 --> 00:00:04.000
<v Priya Sharma>Okay, I think everyone's here.</v>

a1b2c3/12-0
00:00:04.500 --> 00:00:07.000
<v Priya Sharma>Anil, do you want to start?</v>

a1b2c3/13-0
00:00:07.500 --> 00:00:10.000
<v.loud Anil Kumar>Sure. I'll send the release notes by Friday.</v>

00:00:10.000 --> 00:00:12.000
<v Tom Becker>Great.</v>
<v Anil Kumar>Thanks.</v>
"""

ZOOM_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:03.000
Priya Sharma: Hello there,

2
00:00:03.000 --> 00:00:05.000
Priya Sharma: can you hear me?

3
00:00:05.000 --> 00:00:08.000
Anil Kumar: Yes. I'll do it tomorrow.
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
Priya: Hello

2
00:00:03,500 --> 00:00:05,000
Priya: and <i>more</i>

3
00:00:06,000 --> 00:00:08,000
Anil: I'll send the SBOM by Friday.
"""


def test_vtt_voice_spans_are_merged_per_speaker() -> None:
    text = transcript_to_text("call.vtt", TEAMS_VTT.encode())
    assert text.splitlines() == [
        "Priya Sharma: Okay, I think everyone's here. Anil, do you want to start?",
        "Anil Kumar: Sure. I'll send the release notes by Friday.",
        "Tom Becker: Great.",
        "Anil Kumar: Thanks.",
    ]


def test_vtt_name_prefixes() -> None:
    text = transcript_to_text("zoom.vtt", ZOOM_VTT.encode())
    assert text.splitlines() == [
        "Priya Sharma: Hello there, can you hear me?",
        "Anil Kumar: Yes. I'll do it tomorrow.",
    ]


def test_srt() -> None:
    text = transcript_to_text("call.SRT", SRT.encode())
    assert text.splitlines() == [
        "Priya: Hello and more",
        "Anil: I'll send the SBOM by Friday.",
    ]


def test_vtt_without_speakers_joins_captions_until_a_pause() -> None:
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfirst part\n\n"
        "00:00:02.000 --> 00:00:03.000\nsecond part\n\n"
        "00:00:10.000 --> 00:00:11.000\nafter a pause\n"
    )
    assert transcript_to_text("a.vtt", vtt.encode()).splitlines() == [
        "first part second part",
        "after a pause",
    ]


def test_rolling_captions_are_not_repeated() -> None:
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nwe will ship\n\n"
        "00:00:02.000 --> 00:00:03.000\nwe will ship\n\n"
        "00:00:03.000 --> 00:00:04.000\nwe will ship on Friday\n"
    )
    assert transcript_to_text("a.vtt", vtt.encode()) == "we will ship on Friday"


def test_vtt_notes_and_styles_are_ignored() -> None:
    vtt = (
        "WEBVTT\n\nNOTE this is a comment\n\nSTYLE\n::cue { color: red }\n\n"
        "00:00:01.000 --> 00:00:02.000\n<v Tom>Hi</v>\n"
    )
    assert transcript_to_text("a.vtt", vtt.encode()) == "Tom: Hi"


def test_malformed_vtt_falls_back_to_text_lines() -> None:
    # No WEBVTT header and a broken timing line: the words are still worth reading.
    content = b"00:00:01.000 --> 00:00:0x\nPriya: I'll send it by Friday\n\nsome more text\n"
    text = transcript_to_text("broken.vtt", content)
    assert text.splitlines() == ["Priya: I'll send it by Friday", "some more text"]


def test_srt_named_vtt_is_read() -> None:
    assert transcript_to_text("really-srt.vtt", SRT.encode()).startswith("Priya: Hello and more")


def test_txt_is_kept() -> None:
    content = b"Priya: hello\r\nAnil: I'll send it\r\n\r\n\r\n\r\nBye\n"
    assert transcript_to_text("notes.txt", content) == "Priya: hello\nAnil: I'll send it\n\nBye"


@pytest.mark.parametrize(
    "encoded",
    [
        "Grüße: Jürgen sagt hallo".encode(),
        "Grüße: Jürgen sagt hallo".encode("utf-8-sig"),
        "Grüße: Jürgen sagt hallo".encode("utf-16"),  # with BOM
        "Grüße: Jürgen sagt hallo".encode("utf-16-be").join([b"\xfe\xff", b""]),
    ],
)
def test_encodings(encoded: bytes) -> None:
    assert transcript_to_text("a.txt", encoded) == "Grüße: Jürgen sagt hallo"


def test_latin1_is_refused() -> None:
    with pytest.raises(UserError, match="not a text file"):
        transcript_to_text("a.txt", "Grüße aus Köln".encode("latin-1"))


def test_utf16_without_bom_is_refused() -> None:
    with pytest.raises(UserError, match="not a text file"):
        transcript_to_text("a.txt", "hello there".encode("utf-16-le"))


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"PK\x03\x04\x14\x00\x06\x00",
        bytes(range(256)),
        b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f" * 20,
    ],
)
def test_binary_is_refused(content: bytes) -> None:
    with pytest.raises(UserError, match="not a text file"):
        transcript_to_text("a.vtt", content)


@pytest.mark.parametrize("name", ["a.pdf", "a.docx", "transcript", "a.vtt.zip", ""])
def test_unsupported_extension(name: str) -> None:
    with pytest.raises(UserError, match=r"\.vtt, \.srt or \.txt"):
        transcript_to_text(name, b"hello")


@pytest.mark.parametrize("content", [b"", b"   \n\n", "\ufeff".encode()])
def test_empty(content: bytes) -> None:
    with pytest.raises(UserError, match="empty"):
        transcript_to_text("a.txt", content)


def test_vtt_without_captions() -> None:
    with pytest.raises(UserError, match="no captions"):
        transcript_to_text("a.vtt", b"WEBVTT\n\n")


def test_too_large() -> None:
    with pytest.raises(UserError, match="at most 5 MB"):
        transcript_to_text("a.txt", b"a" * (MAX_TRANSCRIPT_BYTES + 1))
    assert transcript_to_text("a.txt", b"a" * MAX_TRANSCRIPT_BYTES) == "a" * MAX_TRANSCRIPT_BYTES


def test_validate_summary() -> None:
    assert validate_summary("  hello\r\nworld  ") == "hello\nworld"
    with pytest.raises(UserError, match="The summary is empty"):
        validate_summary(" \n\t ")
    ok = "x" * MAX_SUMMARY_CHARS
    assert validate_summary(ok) == ok
    with pytest.raises(UserError) as err:
        validate_summary("x" * (MAX_SUMMARY_CHARS + 1))
    assert "30,000" in err.value.message and "30,001" in err.value.message


def test_transcript_feeds_extraction() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.text.extraction import Person, extract

    tz = ZoneInfo("Europe/Berlin")
    text = transcript_to_text("call.vtt", TEAMS_VTT.encode())
    ex = extract(
        text,
        call_at=datetime(2024, 3, 6, 15, 0, tzinfo=tz),
        tz=tz,
        people=[Person("U11ANIL", ("Anil Kumar",), "vendor")],
    )
    (item,) = ex.action_items
    assert item.owner_user_id == "U11ANIL"
    assert item.due_at is not None
