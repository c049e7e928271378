"""Block Kit builders and the ids (action_id, callback_id, block_id) the handlers match on."""
