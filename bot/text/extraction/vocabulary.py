"""Words the stages share: labels, words that are never names, verbs of commitment."""

from __future__ import annotations

LABEL_WORDS = {
    "note", "notes", "summary", "update", "updates", "status", "context", "background",
    "owner", "owners", "due", "deadline", "date", "time", "when", "where", "what", "why",
    "how", "who", "which", "re", "subject", "from", "to", "cc", "bcc", "sent", "attendees",
    "participants", "agenda", "topic", "topics", "goal", "goals", "result", "results",
    "outcome", "risk", "risks", "blocker", "blockers", "question", "questions", "answer",
    "q", "a", "ps", "p.s", "important", "fyi", "reminder", "link", "links", "location",
    "meeting", "call", "project", "decision", "decisions", "action", "actions", "todo",
    "idea", "info", "edit", "also", "next", "tldr", "tl;dr", "example", "options", "option",
    "priority", "scope", "timeline", "budget", "the", "this", "that", "it", "we", "they",
    "i", "you", "he", "she", "there", "here", "so", "and", "but", "ok", "okay", "yes", "no",
    "well", "hi", "hello", "thanks", "thank", "dear", "invited", "teilnehmer", "datum",
    "ort", "thema", "ergebnis", "recap", "transcript", "speaker", "speakers", "step",
    "steps", "open", "agreed", "decided", "resolved", "unresolved", "tbd", "ai", "keywords",
    "attachments", "overview", "purpose", "details", "highlights", "outline", "chapter",
}  # fmt: skip

# Capitalised words that are never an owner when they start a clause.
NOT_NAMES = LABEL_WORDS | {
    "everyone", "everybody", "nobody", "someone", "somebody", "all", "both", "each",
    "if", "then", "our", "their", "your", "my", "his", "her", "its", "last", "please",
    "let", "lets", "let's", "today", "tomorrow", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "release", "any", "some", "none",
    "nothing", "one", "two", "three", "these", "those", "after", "before", "during",
    "once", "when", "while", "because", "since", "until", "in", "on", "at", "for", "with",
    "without", "maybe", "perhaps", "probably", "hopefully", "not", "only", "just",
    "first", "second", "third", "finally", "otherwise", "however", "still", "yet", "go",
    "send", "share", "add", "fix", "check", "review", "update", "make", "get", "do",
    "schedule", "confirm", "provide", "prepare", "create", "set", "move", "keep", "use",
    "write", "document", "deploy", "book", "ask", "find", "give", "hand", "rotate",
    "upload", "announce", "explain", "decide", "sort", "run", "test", "invoice",
    "everything", "anything", "something", "who", "whoever", "there's",
}  # fmt: skip

COMMON_WORD_NAMES = {
    "will", "may", "mark", "bill", "pat", "sue", "hope", "grace", "june", "april", "rose",
    "max", "ray", "chase", "art", "jack", "frank", "don", "rob", "sunny", "summer",
    "august", "faith", "joy", "dawn", "gene", "guy", "ken", "lane", "miles", "penny",
}  # fmt: skip

STOPWORDS = {
    "the", "a", "an", "and", "or", "to", "of", "for", "on", "in", "at", "by", "with",
    "from", "is", "are", "was", "were", "be", "will", "it", "its", "this", "that", "these",
    "those", "we", "they", "i", "you", "he", "she", "our", "their", "his", "her", "my",
    "your", "as", "so", "if", "then", "than", "also", "re", "not", "no", "do", "did",
    "does", "have", "has", "had", "can", "could", "should", "would", "all", "any", "some",
    "before", "after", "about", "into", "up", "out", "over", "once", "anything", "agreed",
    "decided", "decision", "team", "group", "sides", "both", "let", "lets", "us",
    "ll", "s", "going", "go", "need", "needs", "must", "shall", "due", "eod",
    "today", "tomorrow", "next", "week", "there", "which", "what", "who", "how",
}  # fmt: skip

FOLLOWUP_VERBS = {
    "send", "share", "email", "e-mail", "mail", "forward", "follow", "get", "check",
    "confirm", "prepare", "draft", "write", "update", "review", "look", "investigate",
    "schedule", "set", "book", "create", "open", "file", "fix", "deploy", "ship",
    "deliver", "provide", "upload", "post", "ping", "ask", "reach", "talk", "call",
    "sync", "coordinate", "circle", "loop", "add", "put", "finalize", "finalise",
    "finish", "complete", "sign", "approve", "test", "run", "merge", "push", "release",
    "organize", "organise", "arrange", "invite", "document", "compile", "collect",
    "gather", "estimate", "quote", "summarize", "summarise", "clarify", "escalate",
    "raise", "handle", "take", "own", "dig", "figure", "sort", "work", "start", "build",
    "implement", "migrate", "move", "provision", "grant", "revoke", "pay", "invoice",
    "submit", "record", "circulate", "distribute", "publish", "let", "double-check",
    "verify", "validate", "align", "chase", "nudge", "remind", "research", "evaluate",
    "compare", "come", "find", "reply", "respond", "answer", "hand", "kick", "onboard",
    "bring", "make", "have", "turn", "port", "refactor", "revise", "resend", "rerun",
    "re-run", "do", "give", "drop", "remove", "clean", "contact", "tell",
    "inform", "notify", "announce", "rotate", "renew", "order", "buy", "request",
    "reserve", "plan", "present", "demo", "walk", "explain", "introduce", "connect",
    "configure", "install", "enable", "disable", "backport", "patch", "roll", "debug",
    "reproduce", "triage", "assign", "reassign", "close", "resolve", "cancel",
    "reschedule", "postpone", "extend", "adjust", "change", "correct", "attach",
    "export", "import", "sketch", "design", "mock", "spec", "outline", "regroup", "revisit",
    "propose", "pick", "pr", "edit", "continue", "ensure", "mention", "monitor",
}  # fmt: skip

STOP_VERBS = {
    "be", "been", "need", "see", "know", "want", "like", "think", "say", "admit", "bet",
    "guess", "hear", "mean", "miss", "lose", "forget", "love", "hate", "happen", "depend",
    "stay", "remain", "feel", "believe", "hope", "wish", "probably", "likely", "not",
    "never", "no", "only", "keep", "be.", "agree", "wait", "get.",
}  # fmt: skip

ADVERBS = {
    "also", "then", "just", "quickly", "still", "now", "first", "probably", "likely",
    "definitely", "actually", "really", "soon", "ideally", "please", "personally",
    "try", "and", "so", "hopefully", "later", "again", "both", "all", "each", "gladly",
    "happily", "briefly", "formally", "officially", "finally", "properly",
}  # fmt: skip

# Words for the state of an item, written where an owner could stand: "(done)", "- WIP".
STATUS_WORDS = {
    "done", "wip", "optional", "ongoing", "pending", "blocked", "draft", "tbd", "tbc", "n/a",
    "na", "new", "old", "closed", "open", "continued", "carried", "carryover", "dropped",
    "postponed", "deferred", "high", "low", "medium", "urgent", "p0", "p1", "p2", "p3",
    "maybe", "recurring", "again", "later", "required", "cont", "contd", "cont'd",
    "in progress", "carried over", "see above", "see below", "if needed", "as needed",
    "complete", "completed", "started", "not started", "on hold", "none", "nobody", "unassigned",
    "primary", "secondary", "alternate", "backup", "host", "elected", "guest", "observer",
    "remote", "via phone", "in person", "optional attendee", "note taker", "facilitator",
}  # fmt: skip

# Lower-case words that begin an item without naming who does it ("docs to be updated",
# "need to check the logs"): never read as someone's nickname.
NOT_NICKS = (
    NOT_NAMES
    | STOPWORDS
    | FOLLOWUP_VERBS
    | STOP_VERBS
    | ADVERBS
    | STATUS_WORDS
    | {
        "need", "needs", "want", "wants", "plan", "plans", "try", "tries", "continue",
        "continues", "going", "able", "used", "ought", "seems", "seem", "appears", "happy",
        "docs", "doc", "documentation", "item", "items", "issue", "issues", "bug", "bugs",
        "tests", "code", "patch", "patches", "spec", "specs", "meeting", "meetings",
        "discussion", "proposal", "draft", "agenda", "minutes", "wiki", "page", "pages",
        "website", "site", "blog", "email", "emails", "mail", "list", "change", "changes",
        "pr", "prs", "ticket", "tickets", "reviews", "work", "time",
        "people", "folks", "anyone", "anybody", "who", "whoever", "nothing", "something",
        "like", "same", "more", "most", "other", "others", "another", "such", "also",
        "very", "much", "many", "few", "several", "lot", "lots", "bit", "way", "ways",
        "thing", "things", "stuff", "point", "points", "idea", "ideas", "goal", "goals",
        "unable", "ready", "necessary", "important", "hard", "easy", "good", "great", "nice",
        "difficult", "possible", "impossible", "best", "better", "free", "glad", "sure",
    }
)  # fmt: skip
