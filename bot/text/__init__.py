"""Text: Slack's escaping, the `/outsource` grammar, transcripts and call-note extraction."""
