"""The README's playground block and every examples/*.play run clean under `--strict`: no line
refused unless it is marked `!`, and each `!` line refused. What the comments of each script
promise is asserted on its output, so the examples cannot silently go stale.

They run as people run them, `outsource-bot playground --strict --script FILE`, in a process of
their own (this checkout's code first on the path)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.play"))
# A Wednesday evening: the scripts move the clock to the next Monday themselves.
START = "2027-03-03T19:00Z"

# What each script's comments say happens (a few words of it each).
PROMISES: dict[str, list[str]] = {
    "vendors.play": [
        "@alex is a member of your own workspace",
        "commands are for the team that runs this vendor relationship",
        # 8 hours later only Alex, in New York, is at work.
        "(@alex) · local time 13:00 EST Mon (America/New_York) · works Mon–Fri 09:00–17:00 · 🟢",
        "(@priya) · local time 23:30 IST Mon (Asia/Kolkata) · works Mon–Fri 09:00–17:00 · outside",
        "Archived: Globex",
        "*Globex* is active again",
        "*Vendors (2)*",
    ],
    "deadlines.play": [
        "[Tue 9 Mar 17:00 CET] bot posted in #ext-acme",
        "— 3 days to go.",
        "Only Acme Dev's side can acknowledge",
        "👍 Acknowledged by @priya",
        "Only Acme Dev's side can approve",
        "*Approved by both sides.* #2 is now due",
        "renamed #3: ~Kickof deck~ → *Kickoff deck*",
        "cancelled deadline *#4 Old API docs*",
        "↩️ *Withdrawn* by @dana",
        "✅ Done — marked by @priya",
        "Done: marked by @priya",
    ],
    "checkins.play": [
        "Acme Dev reports *blocked*",
        "Friendly reminder, @priya",
        "still unanswered after a reminder",
        ":hourglass: Acme Dev has not answered @dana's message",
        "# Weekly digest — Acme Dev",
        "Automatic posts in this channel are paused",
        "Resumed automatic posts",
    ],
    "recaps.play": [
        "Sorry — that button is for the internal team",
        "*Confirmed by both sides*",
        "deadline *#1*",
        "(transcript: weekly-sync.vtt attached)",
        "from transcript weekly-sync.vtt",
        "Send the load test results — @priya",
        "@dana mentioned a call",
        "still needs confirming",
    ],
    "overview.play": [
        "--- App Home of @dana",
        "--- App Home of @priya",
        "# Acme Dev — status",
        "# Access inventory — Acme Dev",
        "saved as ",
        "| ## Access inventory",  # :read printed the whole Markdown
        "Offboarding Acme Dev — 2 of 7 done",
        "# Weekly digest — Acme Dev",
    ],
    "tour.play": [
        "*Contacts of Acme Dev*",
        "[Tue 9 Mar 17:00 IST] bot posted in #ext-acme",
        "👍 Acknowledged by @priya",
        "*Approved by both sides.*",
        "renamed #3",
        "cancelled deadline *#4 Old API docs*",
        "↩️ *Withdrawn* by @dana",
        "*Confirmed by both sides*",
        "*Check-in update from @priya*",
        ":hourglass: Acme Dev has not answered",
        "1 reply measured",
        "# Acme Dev — status",
        "# Weekly digest — Acme Dev",
        "# Access inventory — Acme Dev",
        "saved as ",
        "Offboarding Acme Dev — 1 of",
        "*Globex* · #ext-globex",
    ],
}


def run_script(script: Path, cwd: Path) -> tuple[int, str, str]:
    argv = [sys.executable, "-m", "bot", "playground", "--strict", "--start", START]
    result = subprocess.run(
        [*argv, "--script", str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(cwd),
            "PYTHONPATH": str(ROOT),
        },
    )
    return result.returncode, result.stdout, result.stderr


def readme_block() -> str:
    """The block people paste into the playground: the README's "Try it" section, its fenced
    block without a language."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Try it", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```(\w*)\n(.*?)^```$", section, flags=re.S | re.M)
    pasted = [body for lang, body in blocks if not lang]
    assert len(pasted) == 1, blocks
    return pasted[0]


def test_the_readme_block_works_when_pasted(tmp_path: Path) -> None:
    block = readme_block()
    assert "/outsource deadline add" in block and "# " in block  # comments are part of it
    script = tmp_path / "readme.play"
    script.write_text(block, encoding="utf-8")
    code, out, err = run_script(script, tmp_path)
    assert code == 0, err + out
    assert err == ""
    assert "👍 Acknowledged by @priya" in out
    assert "saved as " in out
    assert "Traceback" not in out


def test_every_example_has_promises() -> None:
    assert {p.name for p in EXAMPLES} == set(PROMISES)


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_clean_and_does_what_its_comments_say(script: Path, tmp_path: Path) -> None:
    code, out, err = run_script(script, tmp_path)
    assert code == 0, err
    assert err == ""
    assert "Traceback" not in out
    assert "something went wrong on our side" not in out
    missing = [promise for promise in PROMISES[script.name] if promise not in out]
    assert not missing, missing
