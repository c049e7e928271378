"""Every action_id, callback_id and block_id the app uses, in one place.

Action ids ending in `_internal` may be pressed only by users of the installing organization;
ids ending in `_vendor` are the vendor side's buttons (checked against the vendor in services).
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    # vendors
    REGISTER_VENDOR_INTERNAL = "vendor_register_internal"
    PICK_CONTACT_INTERNAL = "contact_pick_internal"
    # deadlines
    DEADLINE_ACK_VENDOR = "deadline_ack_vendor"
    DEADLINE_DONE = "deadline_done"
    # Undo on `deadline add`'s confirmation; the service also checks it is the person who added it.
    DEADLINE_UNDO_INTERNAL = "deadline_undo_internal"
    CHANGE_APPROVE_INTERNAL = "change_approve_internal"
    CHANGE_DECLINE_INTERNAL = "change_decline_internal"
    CHANGE_APPROVE_VENDOR = "change_approve_vendor"
    CHANGE_DECLINE_VENDOR = "change_decline_vendor"
    # recaps
    RECAP_CONFIRM_INTERNAL = "recap_confirm_internal"
    RECAP_CONFIRM_VENDOR = "recap_confirm_vendor"
    RECAP_EDIT = "recap_edit"
    RECAP_MAKE = "recap_make"
    # check-ins
    CHECKIN_UPDATE = "checkin_update"
    CHECKIN_UPDATE_VENDOR = "checkin_update_vendor"  # the Update button: vendor side only
    # offboarding, home
    OFFBOARD_ITEM_DONE_INTERNAL = "offboard_item_done_internal"
    HOME_REFRESH = "home_refresh"
    HOME_OPEN_CHANNEL = "home_open_channel"  # a link button: acknowledged, nothing else
    HOME_STATUS_INTERNAL = "home_status_internal"
    HOME_EXPORT_INTERNAL = "home_export_internal"


class Callback(StrEnum):
    RECAP_MODAL = "recap_modal"
    RECAP_FROM_MESSAGE = "recap_from_message"  # fixed by DESIGN §4
    REGISTER_VENDOR_MODAL = "vendor_register_modal"
    PICK_CONTACT_MODAL = "contact_pick_modal"
    CHECKIN_MODAL = "checkin_modal"
    STATUS_MODAL = "status_modal"


class BlockId(StrEnum):
    SUMMARY = "summary"  # fixed by DESIGN §4 (block_id and action_id both "summary")
    # recaps: the other inputs of the recap modal (action_id = block_id)
    RECAP_CALL_DATE = "call_date"
    RECAP_CALL_TIME = "call_time"
    RECAP_PARTICIPANTS = "participants"
    RECAP_TRANSCRIPT = "transcript"
    # vendors: inputs of the register and pick-contact modals (action_id = block_id)
    VENDOR_NAME = "vendor_name"
    VENDOR_TZ = "vendor_tz"
    VENDOR_COUNTRY = "vendor_country"
    CONTACT_INTERNAL_PRIMARY = "contact_internal_primary"
    CONTACT_INTERNAL_BACKUP = "contact_internal_backup"
    CONTACT_VENDOR_PRIMARY = "contact_vendor_primary"
    CONTACT_VENDOR_BACKUP = "contact_vendor_backup"
    CONTACT_USER = "contact_user"
    # check-ins: inputs of the update form (action_id = block_id)
    CHECKIN_DONE = "checkin_done"
    CHECKIN_NEXT = "checkin_next"
    CHECKIN_BLOCKERS = "checkin_blockers"
    CHECKIN_ON_TRACK = "checkin_on_track"


def is_internal_only(action_id: str) -> bool:
    return action_id.endswith("_internal")


def is_vendor_side(action_id: str) -> bool:
    return action_id.endswith("_vendor")
