"""Plain-text rendering of Slack messages and views for a terminal (the offline playground).

    text, refs = render_message(params, numbering_start=1, name_of=lookup)

Every interactive element outside input blocks (buttons, selects, overflow menus, date
pickers, ...) gets a number, `[1] Approve`, and a `ButtonRef` so the user can ":click 1".
Input blocks are shown as labelled form fields; `input_fields()` lists them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NameOf = Callable[[str], str | None]

INTERACTIVE = frozenset(
    {
        "button",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "overflow",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "checkboxes",
        "radio_buttons",
    }
)


@dataclass(frozen=True)
class ButtonRef:
    """A numbered interactive element. For selects/overflow, `options` holds (label, value)."""

    number: int
    action_id: str
    value: str | None
    block_id: str | None
    label: str
    style: str | None = None
    kind: str = "button"
    url: str | None = None
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class InputField:
    """An input block of a modal: what the user must fill to submit."""

    block_id: str | None
    action_id: str | None
    label: str
    kind: str
    optional: bool = False
    initial: str | None = None
    placeholder: str | None = None
    multiline: bool = False
    options: tuple[tuple[str, str], ...] = ()


_LINK = re.compile(r"<([^<>]+)>")


def mrkdwn_to_text(text: str, name_of: NameOf | None = None) -> str:
    """Slack mrkdwn made readable: `<@U1>` → `@name` (via `name_of`), `<#C1|gen>` → `#gen`,
    `<url|label>` → `label (url)`, `<!here>` → `@here`, dates → their fallback, entities unescaped.
    `*bold*`, `_italic_` and `` `code` `` are kept as they are."""

    def lookup(ident: str, label: str | None) -> str:
        if name_of is not None:
            found = name_of(ident)
            if found:
                return found
        return label or ident

    def repl(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        label_or_none = label or None
        if target.startswith("@"):
            return "@" + lookup(target[1:], label_or_none).lstrip("@")
        if target.startswith("#"):
            return "#" + lookup(target[1:], label_or_none).lstrip("#")
        if target.startswith("!"):
            special = target[1:]
            if special in ("here", "channel", "everyone"):
                return "@" + special
            if special.startswith("subteam^"):
                return label or "@" + special.split("^", 1)[1]
            if special.startswith("date^"):
                return label or special
            return label or "@" + special
        if target.startswith("mailto:"):
            return label or target[len("mailto:") :]
        if label and label != target:
            return f"{label} ({target})"
        return target

    out = _LINK.sub(repl, text)
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _txt(obj: Any, name_of: NameOf | None = None) -> str:
    if obj is None:
        return ""
    if isinstance(obj, str):
        return mrkdwn_to_text(obj, name_of)
    if isinstance(obj, Mapping):
        text = str(obj.get("text", ""))
        if obj.get("type") == "plain_text":
            return text
        return mrkdwn_to_text(text, name_of)
    return str(obj)


def _options(element: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    opts: list[tuple[str, str]] = []
    for opt in element.get("options") or []:
        opts.append((_txt(opt.get("text")), str(opt.get("value", ""))))
    for group in element.get("option_groups") or []:
        for opt in group.get("options") or []:
            opts.append((_txt(opt.get("text")), str(opt.get("value", ""))))
    return tuple(opts)


def _initial(element: Mapping[str, Any]) -> str | None:
    for key in (
        "initial_value",
        "initial_date",
        "initial_time",
        "initial_user",
        "initial_conversation",
        "initial_channel",
    ):
        if element.get(key) not in (None, ""):
            return str(element[key])
    if element.get("initial_date_time") is not None:
        return str(element["initial_date_time"])
    opt = element.get("initial_option")
    if isinstance(opt, Mapping):
        return _txt(opt.get("text"))
    opts = (
        element.get("initial_options")
        or element.get("initial_users")
        or element.get("initial_conversations")
    )
    if opts:
        return ", ".join(_txt(o.get("text")) if isinstance(o, Mapping) else str(o) for o in opts)
    return None


class _Renderer:
    def __init__(self, numbering_start: int, name_of: NameOf | None) -> None:
        self.next_number = numbering_start
        self.name_of = name_of
        self.refs: list[ButtonRef] = []
        self.lines: list[str] = []

    def t(self, obj: Any) -> str:
        return _txt(obj, self.name_of)

    def add(self, text: str, indent: str = "") -> None:
        for line in text.split("\n"):
            self.lines.append(indent + line if line else indent.rstrip())

    # ---------------------------------------------------------------- interactive elements

    def element(self, el: Mapping[str, Any], block_id: str | None) -> str:
        kind = str(el.get("type", ""))
        if kind not in INTERACTIVE:
            if kind == "image":
                return f"[image: {el.get('alt_text', '')}]"
            return self.t(el.get("text")) if el.get("text") else f"[{kind}]"
        number = self.next_number
        self.next_number += 1
        action_id = str(el.get("action_id", ""))
        options = _options(el)
        style = el.get("style")
        if kind == "button":
            label = self.t(el.get("text"))
            value = el.get("value")
            shown = f"[{number}] {label}"
            if style:
                shown += f" ({style})"
            if el.get("url"):
                shown += f" -> {el['url']}"
        else:
            label = (
                self.t(el.get("placeholder")) or self.t(el.get("text")) or kind.replace("_", " ")
            )
            value = _initial(el)
            shown = f"[{number}] {label} <{kind}>"
            if value:
                shown += f" = {value}"
            if options:
                shown += " {" + " | ".join(lbl for lbl, _ in options) + "}"
        self.refs.append(
            ButtonRef(
                number=number,
                action_id=action_id,
                value=None if value is None else str(value),
                block_id=block_id,
                label=label,
                style=str(style) if style else None,
                kind=kind,
                url=str(el["url"]) if el.get("url") else None,
                options=options,
            )
        )
        return shown

    # ---------------------------------------------------------------- blocks

    def rich_text(self, elements: Sequence[Any]) -> str:
        parts: list[str] = []
        for el in elements:
            kind = el.get("type")
            if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
                inner = self.rich_inline(el.get("elements") or [])
                if kind == "rich_text_preformatted":
                    inner = "```\n" + inner + "\n```"
                elif kind == "rich_text_quote":
                    inner = "\n".join("> " + line for line in inner.split("\n"))
                parts.append(inner)
            elif kind == "rich_text_list":
                ordered = el.get("style") == "ordered"
                for i, item in enumerate(el.get("elements") or [], start=1):
                    bullet = f"{i}." if ordered else "-"
                    indent = "  " * int(el.get("indent", 0) or 0)
                    parts.append(f"{indent}{bullet} {self.rich_inline(item.get('elements') or [])}")
        return "\n".join(parts)

    def rich_inline(self, elements: Sequence[Any]) -> str:
        out: list[str] = []
        for el in elements:
            kind = el.get("type")
            if kind == "text":
                text = str(el.get("text", ""))
                style = el.get("style") or {}
                if style.get("code"):
                    text = f"`{text}`"
                if style.get("bold"):
                    text = f"*{text}*"
                if style.get("italic"):
                    text = f"_{text}_"
                out.append(text)
            elif kind == "link":
                url = str(el.get("url", ""))
                label = el.get("text")
                out.append(f"{label} ({url})" if label else url)
            elif kind == "user":
                uid = str(el.get("user_id", ""))
                out.append("@" + ((self.name_of(uid) if self.name_of else None) or uid))
            elif kind == "channel":
                cid = str(el.get("channel_id", ""))
                out.append("#" + ((self.name_of(cid) if self.name_of else None) or cid))
            elif kind == "usergroup":
                out.append("@" + str(el.get("usergroup_id", "")))
            elif kind == "broadcast":
                out.append("@" + str(el.get("range", "here")))
            elif kind == "emoji":
                out.append(f":{el.get('name', '')}:")
            elif kind == "date":
                out.append(str(el.get("fallback") or el.get("timestamp", "")))
        return "".join(out)

    def input_block(self, block: Mapping[str, Any]) -> None:
        field = _input_field(block, self.name_of)
        head = field.label + (" (optional)" if field.optional else "")
        desc = f"{head}: <{field.kind}"
        if field.multiline:
            desc += ", multiline"
        desc += ">"
        if field.initial:
            desc += f" = {field.initial}"
        elif field.placeholder:
            desc += f" ({field.placeholder})"
        if field.options:
            desc += " {" + " | ".join(f"{lbl}={val}" for lbl, val in field.options) + "}"
        desc += f"  [{field.block_id}.{field.action_id}]"
        self.add(desc)
        if block.get("hint"):
            self.add(self.t(block["hint"]), "  ")

    def block(self, block: Mapping[str, Any]) -> None:
        kind = block.get("type")
        block_id = block.get("block_id")
        if kind == "header":
            self.add(f"# {self.t(block.get('text'))}")
        elif kind == "divider":
            self.add("-" * 40)
        elif kind == "section":
            if block.get("text"):
                self.add(self.t(block["text"]))
            fields = block.get("fields") or []
            for f in fields:
                self.add(self.t(f), "  ")
            acc = block.get("accessory")
            if isinstance(acc, Mapping):
                self.add(self.element(acc, block_id), "  ")
        elif kind == "context":
            parts = []
            for el in block.get("elements") or []:
                if el.get("type") == "image":
                    parts.append(f"[{el.get('alt_text', 'image')}]")
                else:
                    parts.append(self.t(el))
            self.add("  " + " | ".join(p for p in parts if p))
        elif kind == "actions":
            shown = [self.element(el, block_id) for el in block.get("elements") or []]
            self.add("  ".join(shown))
        elif kind == "input":
            self.input_block(block)
        elif kind == "image":
            title = self.t(block.get("title")) if block.get("title") else ""
            self.add(f"[image: {block.get('alt_text', '')}]" + (f" {title}" if title else ""))
        elif kind == "rich_text":
            self.add(self.rich_text(block.get("elements") or []))
        elif kind == "file":
            self.add(f"[file: {block.get('external_id', '')}]")
        elif kind == "video":
            self.add(f"[video: {self.t(block.get('title'))}]")
        elif kind == "markdown":
            self.add(str(block.get("text", "")))
        else:
            self.add(f"[{kind} block]")

    def blocks(self, blocks: Sequence[Any]) -> None:
        for block in blocks:
            if isinstance(block, Mapping):
                self.block(block)

    def attachments(self, attachments: Sequence[Any]) -> None:
        for att in attachments:
            if not isinstance(att, Mapping):
                continue
            sub = _Renderer(self.next_number, self.name_of)
            if att.get("pretext"):
                self.add(self.t(att["pretext"]))
            if att.get("title"):
                sub.add(self.t(att["title"]))
            if att.get("text"):
                sub.add(self.t(att["text"]))
            for f in att.get("fields") or []:
                sub.add(f"{f.get('title', '')}: {self.t(f.get('value', ''))}")
            sub.blocks(att.get("blocks") or [])
            if not sub.lines and att.get("fallback"):
                sub.add(self.t(att["fallback"]))
            self.next_number = sub.next_number
            self.refs.extend(sub.refs)
            for line in sub.lines:
                self.lines.append("| " + line)


def _input_field(block: Mapping[str, Any], name_of: NameOf | None = None) -> InputField:
    el = block.get("element") or {}
    placeholder = _txt(el.get("placeholder"), name_of) if el.get("placeholder") else None
    return InputField(
        block_id=block.get("block_id"),
        action_id=el.get("action_id"),
        label=_txt(block.get("label"), name_of),
        kind=str(el.get("type", "")),
        optional=bool(block.get("optional", False)),
        initial=_initial(el),
        placeholder=placeholder,
        multiline=bool(el.get("multiline", False)),
        options=_options(el),
    )


def input_fields(view: Mapping[str, Any] | Sequence[Any]) -> list[InputField]:
    """The input blocks of a view (or of `views.*` params with a `view`, or a block list)."""
    if isinstance(view, Mapping):
        inner = view.get("view")
        source = inner if isinstance(inner, Mapping) else view
        blocks = source.get("blocks") or []
    else:
        blocks = view
    return [_input_field(b) for b in blocks if isinstance(b, Mapping) and b.get("type") == "input"]


def render_message(
    params: Mapping[str, Any],
    numbering_start: int = 1,
    name_of: NameOf | None = None,
) -> tuple[str, list[ButtonRef]]:
    """Render chat.postMessage / chat.update / response_url params, a message from history,
    or a view (`views.*` params with `view`, or the view itself) as plain text.
    Returns the text and the numbered interactive elements."""
    r = _Renderer(numbering_start, name_of)
    view = params.get("view") if isinstance(params.get("view"), Mapping) else None
    if view is None and params.get("type") in ("modal", "home"):
        view = params
    if view is not None:
        kind = view.get("type", "modal")
        title = (
            r.t(view.get("title")) if view.get("title") else ("App Home" if kind == "home" else "")
        )
        r.add(f"=== {title} ===" if title else f"=== {kind} ===")
        r.blocks(view.get("blocks") or [])
        buttons = []
        if view.get("submit"):
            buttons.append(f"<{r.t(view['submit'])}>")
        if view.get("close"):
            buttons.append(f"<{r.t(view['close'])}>")
        if buttons:
            r.add(" ".join(buttons))
        return "\n".join(r.lines), r.refs

    blocks = params.get("blocks")
    if blocks:
        r.blocks(blocks)
    elif params.get("text"):
        r.add(r.t(str(params["text"])))
    attachments = params.get("attachments")
    if attachments:
        r.attachments(attachments)
    for f in params.get("files") or []:
        if isinstance(f, Mapping):
            r.add(f"[file: {f.get('name') or f.get('title') or f.get('id')}]")
    return "\n".join(r.lines), r.refs


__all__ = ["ButtonRef", "InputField", "input_fields", "mrkdwn_to_text", "render_message"]
