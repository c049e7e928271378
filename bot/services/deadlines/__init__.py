"""Deadlines and milestones: explicit dates, reminders before they slip, changes by agreement.

A deadline belongs to a vendor channel and has the channel's next number (#1, #2 …), a title,
an owner and a due date; a milestone may hold other deadlines. Its reminders are counted in the
vendor's wall clock and posted by the sweep; overdue ones are escalated to the internal contact.
A date is never edited: a move is a change request that both sides approve with buttons.
Corrections (cancel, Undo, rename, a new owner) keep the row and write an audit entry.

What the bot says is an outbox row naming what to render, written in the same transaction as the
change it reports (bot/posts/deadlines.py renders it when delivered). Slack reads go through the
runtime's directory.

The modules, each importing only those listed above it:

    schedule         the reminder steps, counted in the vendor's wall clock: their instants,
                     the next one after a moment, their outbox keys
    zones            which timezone a time is in: the vendor's, the one a `<when>` is read in,
                     a person's own
    common           the states of a deadline and of a change request; the deadline a command
                     (by number) or a button (by id) is about; the refusal to change one that
                     is done or cancelled; its reminders still waiting in the outbox dropped
    creation         `deadline add` and the deadlines of call recaps (`add_deadline`); a
                     deadline's title; who may own one
    listing          what `deadline list` (Listing) and `deadline show` (Detail) show
    change_requests  `deadline move` and `/outsource change`: asked, withdrawn, approved or
                     declined by each side, the move applied; the request's message kept
                     current; the requests a closed deadline closes
    progress         `deadline done` and the Mark done button; the vendor side's Acknowledge
    corrections      `deadline cancel`, Undo on `deadline add`'s confirmation,
                     `deadline rename`, `deadline owner`
    reminders        the sweep's step (`sweep_steps`): the reminder steps that came due, and
                     overdue deadlines escalated to the internal contact (one DM a day)
"""
