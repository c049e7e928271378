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
4. ``assemble.assemble`` — findings → ``Extraction``, near-duplicates merged (the same item
   pasted again and again with other dates gives at most two, their dates unsure).

Beside them: ``headings`` (which headings open which section, including reviews of earlier
meetings' items), ``tables``, ``tags`` (``ACTION:``, ``AI jonas:``, ``[ACTION ITEM]``,
``RESOLVED:``, ``#agreed`` …), ``names`` (the name index of the call's people, nicknames),
``date_phrases`` (where a due phrase is), ``vocabulary`` (shared word lists).

Libraries, weighed (the bot must start fast and work offline):

* Sentence splitting stays a regex with an abbreviation list. pysbd (520 KB, pure Python)
  imports in ~16 ms but took 55 ms for a 1,200-word page here, ~0.5 s for the one-hour
  transcript that must take < 100 ms in all; NLTK's punkt needs a data download.
* Named entities (who owns an item) stay rules over the names the bot already knows (Slack
  display and real names), handles, nicknames and capitalised names. spaCy with its small
  English model is ~50 MB, loads in about a second and fetches its model from a hub at
  install time, which the offline deployments and CI cannot; it would also tag "Mark" in
  "Mark this at risk" as a person, which the rules here get right from the sentence shape.
* dateparser (already a dependency) reads the natural-language dates, cached per phrase.
* Which lines hold an action item stays rules too. A classifier over all-MiniLM-L6-v2
  sentence embeddings (the one pretrained model a registry install brings here, with
  PyTorch: 1.6 GB) found no more items on the real minutes than the rules, and embedding
  an hour's transcript took ~5 s (tests/extraction/real/README.md).
"""

from bot.text.extraction.model import ActionItem, Decision, Extraction, OpenQuestion, Person, Side
from bot.text.extraction.pipeline import extract, warm_up

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
