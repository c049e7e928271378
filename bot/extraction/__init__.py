"""Extraction of decisions, action items and open questions from call notes.

The input is whatever people paste: AI meeting summaries (Zoom, Meet/Gemini, Otter,
Fireflies, Fathom, Teams), transcripts with speaker turns, IRC meeting-bot minutes,
e-mail recaps, checklists and messy Slack messages. Nothing here talks to Slack.

Rules, in short:

* Sections are found from their headings ("Decisions", "Action items", "Next steps",
  "Open questions", "Parking lot", ... with or without ``#``/``**``/``:``). In an action
  section every item is an action item; in a decision section every item a decision; in a
  question section every item an open question.
* Outside those sections a sentence is classified by its shape: ``ACTION:``/``TODO:``/
  ``AI:``/``DECISION:``/``AGREED:`` tags, "<owner> to/will <verb>", "I'll <verb>" in a
  speaker turn, "we agreed to ...", "let's go with ...", "open question: ...".
* Owners resolve to Slack user ids through mentions, the names of ``people``, the speaker
  of a turn ("I"), ``we_user_id`` ("we") and ``they_user_id`` ("they"). An owner that
  cannot be tied to exactly one person keeps its name with ``owner_user_id=None``.
* Due dates are read from a date phrase found by regex and resolved relative to the call
  (dateparser for the natural-language parts, cached). A date without a time means 17:00
  local; "end of week" and "next week" mean that week's Friday 17:00.
* Whatever is not certain is marked (``owner_sure`` / ``due_sure`` = False), never invented.

The stages, each a pure function of its input and the call's ``Context``:

1. ``normalize.prepare_lines`` — line breaks, odd spaces, zero-width characters; per line
   later: Slack markup (``unslack``), decorations (``strip_decor``), timestamps.
2. ``segment.segment_lines`` — lines → ``Unit``s: headed sections (``headings``), bullets
   and checkboxes, speaker turns and headers, tables (``tables``), tags (``tags``).
3. ``classify.classify`` — each unit or sentence → decision / action / open question
   (``actions`` builds an action item: owner via ``people``, due via ``dates``).
4. ``assemble.assemble`` — findings → ``Extraction``, near-duplicates merged.
"""

from bot.extraction.model import ActionItem, Decision, Extraction, OpenQuestion, Person, Side
from bot.extraction.pipeline import extract, warm_up

__all__ = [
    "ActionItem",
    "Decision",
    "Extraction",
    "OpenQuestion",
    "Person",
    "Side",
    "extract",
    "warm_up",
]
