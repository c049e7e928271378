"""Call recaps: every voice call becomes a written record both sides confirmed.

Sources: the recap modal (`/outsource recap`, or **Make a recap** on an offer or a nudge),
the `recap_from_message` shortcut, transcript files and meeting-note apps' posts in a vendor
channel (offered in thread), huddles, and messages that say a call happened (nudged after 4
business hours when no recap followed). The record is posted in the vendor channel, extracted
items and all, with a Confirm button per side; action items with an owner and a due date
become deadlines. Edits keep every revision; the text as given is kept (as plain text: Slack's
escaping is decoded once on the way in, bot/text/escaping.py).

Nothing here calls Slack. What the bot says is written to the outbox in the same transaction
as the change it reports and rendered when delivered (bot/posts/recaps.py): the record,
offers, nudges and notes. Slack reads go through the directory; transcript downloads run
outside any transaction.

The modules, each importing only those listed above it:

    common            who may record in a vendor channel and as whom, the vendor's business
                      calendar, a call's default participants and time, ids and lists in
                      what Slack sends
    message_text      a Slack message's readable text (its blocks, attachments, rich text)
    transcript_files  transcript files: looked up, downloaded and read (Transcript,
                      TranscriptProblem)
    items             what a recap says: the extracted items, who may own an action item,
                      the deadlines action items become
    record            a recap made, and its record message (posted, updated, where it is);
                      the recap a button on the record is about
    form              the recap modal as it opens: empty, or prefilled for **Edit**
    offers            offers to make a recap of a transcript, notes or a huddle, and the
                      **Make a recap** button (on an offer or a call-mention nudge)
    submission        the modal submitted: a new recap, or an edit saved as a new revision
    shortcut          the `recap_from_message` shortcut
    confirmation      each side's Confirm on the record; which sides have not
    observation       the vendor channel watched (`message_observers`): transcripts, notes,
                      huddles, call mentions
    nudges            the sweep's steps (`sweep_steps`): a call mentioned with no recap, a
                      record a side has not confirmed
"""
