"""The fake Slack itself: real slack_sdk / slack_bolt clients against it."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.fakeslack import (
    FakeSlack,
    SlackRequestSender,
    WaitTimeout,
    block_actions,
    render_message,
    sign_headers,
    slash_command,
)
from bot.fakeslack.render import input_fields, mrkdwn_to_text

SECRET = "test-signing-secret"


@pytest.fixture
def fs(fake_slack: FakeSlack) -> FakeSlack:
    ws = fake_slack.workspace
    ws.add_user("U_ALICE", name="alice", real_name="Alice Example", tz="Europe/Berlin")
    ws.add_user(
        "U_VENDOR", team_id="T_VENDOR", name="vic", real_name="Vic Vendor", tz="Asia/Kolkata"
    )
    ws.add_channel(
        "C_SHARED",
        "acme-shared",
        members=["U_ALICE", "U_VENDOR"],
        is_ext_shared=True,
        connected_team_ids=["T_VENDOR"],
    )
    ws.add_channel("C_GENERAL", "general", members=["U_ALICE"])
    return fake_slack


def client(fs: FakeSlack, **kw: Any) -> WebClient:
    return WebClient(base_url=fs.api_url, token="xoxb-test", **kw)


# ----------------------------------------------------------------------------- Web API


def test_auth_test_and_unknown_token(fs: FakeSlack) -> None:
    auth = client(fs).auth_test()
    assert auth["team_id"] == "T_INTERNAL"
    assert auth["user_id"] == "UBOT"
    assert auth["bot_id"] == "BBOT"
    assert auth["enterprise_id"] is None
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=fs.api_url, token="xoxb-nope").auth_test()
    assert err.value.response["error"] == "invalid_auth"


def test_ratelimit_retry_gets_through_and_post_is_recorded_once(fs: FakeSlack) -> None:
    fs.fail_next("chat.postMessage", status=429, times=2, retry_after=0)
    c = client(fs, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    resp = c.chat_postMessage(channel="C_SHARED", text="hello vendor")
    assert resp["ok"] is True
    calls = fs.calls("chat.postMessage")
    assert [call.status for call in calls] == [429, 429, 200]
    assert [call.faulted for call in calls] == [True, True, False]
    assert [p["text"] for p in fs.posts("C_SHARED")] == ["hello vendor"]
    assert [m["text"] for m in fs.messages("C_SHARED")] == ["hello vendor"]


def test_429_without_retry_handler_surfaces_retry_after(fs: FakeSlack) -> None:
    fs.fail_next("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client(fs).chat_postMessage(channel="C_SHARED", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response["error"] == "ratelimited"
    assert err.value.response.headers["Retry-After"] == "7"
    assert fs.posts() == []


def test_500_injection_and_fail_every(fs: FakeSlack) -> None:
    c = client(fs)
    fs.fail_next("users.info", status=500)
    with pytest.raises(SlackApiError) as err:
        c.users_info(user="U_ALICE")
    assert err.value.response.status_code == 500
    assert err.value.response["error"] == "internal_error"
    assert c.users_info(user="U_ALICE")["user"]["tz"] == "Europe/Berlin"

    fs.fail_every("chat.postMessage", 3, status=500)
    outcomes = []
    for i in range(6):
        try:
            c.chat_postMessage(channel="C_GENERAL", text=str(i))
            outcomes.append("ok")
        except SlackApiError:
            outcomes.append("fail")
    assert outcomes == ["ok", "ok", "fail", "ok", "ok", "fail"]
    fs.clear_faults()
    assert c.chat_postMessage(channel="C_GENERAL", text="after")["ok"]


def test_metadata_round_trip_via_history(fs: FakeSlack) -> None:
    c = client(fs)
    meta = {"event_type": "checkin_posted", "event_payload": {"checkin_id": 42, "vendor": "acme"}}
    first = c.chat_postMessage(channel="C_SHARED", text="check-in", metadata=meta)
    assert first["message"]["metadata"] == meta
    c.chat_postMessage(channel="C_SHARED", text="plain")
    hist = c.conversations_history(channel="C_SHARED", include_all_metadata=True)
    assert [m["text"] for m in hist["messages"]] == ["plain", "check-in"]  # newest first
    assert hist["messages"][1]["metadata"] == meta
    assert "metadata" not in hist["messages"][0]
    without = c.conversations_history(channel="C_SHARED")
    assert all("metadata" not in m for m in without["messages"])
    # oldest / latest / limit
    after_first = c.conversations_history(channel="C_SHARED", oldest=first["ts"])
    assert [m["text"] for m in after_first["messages"]] == ["plain"]
    limited = c.conversations_history(channel="C_SHARED", limit=1)
    assert len(limited["messages"]) == 1 and limited["has_more"] is True
    page2 = c.conversations_history(
        channel="C_SHARED", limit=1, cursor=limited["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in page2["messages"]] == ["check-in"]


def test_form_encoded_json_params_are_decoded(fs: FakeSlack) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    resp = client(fs).api_call(
        "chat.postMessage",
        data={"channel": "C_GENERAL", "text": "hi", "blocks": json.dumps(blocks)},
    )
    assert resp["ok"]
    assert fs.posts()[0]["blocks"] == blocks
    assert fs.messages("C_GENERAL")[0]["blocks"] == blocks


def test_errors_dm_by_user_id_threads_and_unknown_method(fs: FakeSlack) -> None:
    c = client(fs)
    with pytest.raises(SlackApiError) as err:
        c.chat_postMessage(channel="C_NOPE", text="x")
    assert err.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as err:
        c.users_info(user="U_GHOST")
    assert err.value.response["error"] == "user_not_found"

    dm = c.chat_postMessage(channel="U_ALICE", text="psst")
    opened = c.conversations_open(users="U_ALICE")
    assert dm["channel"].startswith("D") and opened["channel"]["id"] == dm["channel"]
    assert fs.posts(channel="U_ALICE") == fs.posts(channel=dm["channel"])
    # Only posting takes the user id; a DM's history and edits want its D… channel, as in Slack.
    for call in (
        lambda ch: c.chat_update(channel=ch, ts=dm["ts"], text="edited"),
        lambda ch: c.conversations_history(channel=ch),
    ):
        with pytest.raises(SlackApiError) as err:
            call("U_ALICE")
        assert err.value.response["error"] == "channel_not_found"
        assert call(dm["channel"])["ok"]

    parent = c.chat_postMessage(channel="C_SHARED", text="parent")
    c.chat_postMessage(channel="C_SHARED", text="reply", thread_ts=parent["ts"])
    replies = c.conversations_replies(channel="C_SHARED", ts=parent["ts"])
    assert [m["text"] for m in replies["messages"]] == ["parent", "reply"]
    hist = c.conversations_history(channel="C_SHARED")
    assert [m["text"] for m in hist["messages"]] == ["parent"]
    assert hist["messages"][0]["reply_count"] == 1

    with pytest.raises(SlackApiError) as err:
        c.api_call("no.such.method")
    assert err.value.response.status_code == 200
    assert err.value.response["error"] == "unknown_method"
    assert fs.calls("no.such.method")

    with pytest.raises(SlackApiError) as err:
        c.chat_postEphemeral(channel="C_GENERAL", user="U_VENDOR", text="x")
    assert err.value.response["error"] == "user_not_in_channel"
    c.chat_postEphemeral(channel="C_SHARED", user="U_VENDOR", text="only you")
    assert fs.ephemeral(user="U_VENDOR")[0]["text"] == "only you"

    info = c.conversations_info(channel="C_SHARED")["channel"]
    assert info["is_ext_shared"] is True and "T_VENDOR" in info["connected_team_ids"]
    assert c.users_info(user="U_VENDOR")["user"]["team_id"] == "T_VENDOR"


def test_wait_for(fs: FakeSlack) -> None:
    with pytest.raises(WaitTimeout):
        fs.wait_for("chat.postMessage", timeout=0.05)
    client(fs).chat_postMessage(channel="C_GENERAL", text="x")
    assert len(fs.wait_for("chat.postMessage")) == 1


def test_oauth_code_installs_a_token(fs: FakeSlack) -> None:
    fs.workspace.add_oauth_code(
        "code-1", team_id="T_NEW", bot_token="xoxb-new", bot_user_id="UBOT2"
    )
    anon = WebClient(base_url=fs.api_url)
    resp = anon.oauth_v2_access(client_id="cid", client_secret="secret", code="code-1")
    assert resp["access_token"] == "xoxb-new"
    assert resp["team"]["id"] == "T_NEW" and resp["enterprise"] is None
    assert WebClient(base_url=fs.api_url, token="xoxb-new").auth_test()["team_id"] == "T_NEW"
    with pytest.raises(SlackApiError) as err:
        anon.oauth_v2_access(client_id="cid", client_secret="secret", code="code-1")
    assert err.value.response["error"] == "invalid_code"
    anon.apps_uninstall(client_id="cid", client_secret="secret", token="xoxb-new")
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=fs.api_url, token="xoxb-new").auth_test()
    assert err.value.response["error"] == "token_revoked"


# ----------------------------------------------------------------------------- files


def test_files_upload_v2_end_to_end(fs: FakeSlack) -> None:
    c = client(fs)
    resp = c.files_upload_v2(
        channel="C_SHARED",
        content=b"WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n",
        filename="call.vtt",
        title="Call transcript",
        initial_comment="Transcript attached",
    )
    file_id = resp["file"]["id"]
    assert fs.calls("file_upload")[0].status == 200
    stored = fs.workspace.files[file_id]
    assert stored.content is not None and stored.content.startswith(b"WEBVTT")
    assert stored.channel_id == "C_SHARED"
    assert stored.initial_comment == "Transcript attached"
    assert stored.title == "Call transcript" and stored.name == "call.vtt"
    info = c.files_info(file=file_id)["file"]
    assert info["name"] == "call.vtt" and "C_SHARED" in info["channels"]
    shared = fs.messages("C_SHARED")[-1]
    assert shared["text"] == "Transcript attached" and shared["files"][0]["id"] == file_id


def test_url_private_needs_bearer_token(fs: FakeSlack) -> None:
    fs.workspace.add_file("F_VTT", "recap.txt", b"notes", "text", "U_ALICE")
    url = client(fs).files_info(file="F_VTT")["file"]["url_private"]
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=5)
    assert err.value.code == 403
    req = urllib.request.Request(url, headers={"Authorization": "Bearer xoxb-test"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.read() == b"notes"


# ----------------------------------------------------------------------------- signing + Bolt


def test_sign_headers_verify_with_slack_sdk() -> None:
    body = slash_command("hello", user_id="U1", team_id="T1", channel_id="C1")
    headers = sign_headers(body, SECRET)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(
        body=body,
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert not SignatureVerifier("other").is_valid(
        body=body,
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )
    stale = sign_headers(body, SECRET, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid(
        body=body,
        timestamp=stale["X-Slack-Request-Timestamp"],
        signature=stale["X-Slack-Signature"],
    )


def _bolt_app(fs: FakeSlack) -> App:
    app = App(
        client=WebClient(base_url=fs.api_url, token="xoxb-test"),
        signing_secret=SECRET,
        process_before_response=True,
    )

    @app.command("/outsource")
    def on_command(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack()
        respond(f"got: {command['text']}")

    @app.action("approve")
    def on_approve(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.chat_postMessage(
            channel=body["channel"]["id"], text=f"approved by {body['user']['team_id']}"
        )

    return app


def test_bolt_app_in_process_signed_and_unsigned(fs: FakeSlack) -> None:
    handler = SlackRequestHandler(_bolt_app(fs))
    sender = SlackRequestSender(
        SECRET, wsgi_app=handler, fake=fs, user_id="U_ALICE", channel_id="C_SHARED"
    )
    ok = sender.command("status acme")
    assert ok.status == 200
    responses = fs.responses()
    assert [r["text"] for r in responses] == ["got: status acme"]

    unsigned = sender.command("status acme", signed=False)
    assert unsigned.status == 401
    stale = sender.command("status acme", timestamp=int(time.time()) - 600)
    assert stale.status == 401
    assert len(fs.responses()) == 1

    clicked = sender.action("approve", "yes", user_id="U_VENDOR")
    assert clicked.status == 200
    assert fs.posts("C_SHARED")[-1]["text"] == "approved by T_VENDOR"


def test_sender_over_http(fs: FakeSlack) -> None:
    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

    handler = SlackRequestHandler(_bolt_app(fs))
    server = make_server("127.0.0.1", 0, handler, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        sender = SlackRequestSender(
            SECRET, base_url=f"http://127.0.0.1:{port}", fake=fs, user_id="U_ALICE"
        )
        assert sender.command("hi", channel_id="C_GENERAL").status == 200
        assert sender.command("hi", channel_id="C_GENERAL", signed=False).status == 401
    finally:
        server.shutdown()
        server.server_close()


def test_block_actions_shape() -> None:
    body = block_actions(
        "approve", "42", user_id="U_V", user_team_id="T_V", team_id="T_H", channel_id="C1"
    )
    assert body.startswith("payload=")
    payload = json.loads(parse_qs(body)["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["team"]["id"] == "T_H" and payload["user"]["team_id"] == "T_V"
    assert payload["actions"][0]["value"] == "42"
    assert payload["container"]["channel_id"] == "C1"


# ----------------------------------------------------------------------------- render


def test_render_message_numbers_buttons() -> None:
    params = {
        "channel": "C1",
        "text": "fallback",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Check-in"}},
            {
                "type": "section",
                "block_id": "s1",
                "text": {
                    "type": "mrkdwn",
                    "text": "<@U1> owes *the spec* by <!date^1700000000^{date}|Nov 14>",
                },
                "accessory": {
                    "type": "button",
                    "action_id": "snooze",
                    "value": "s",
                    "text": {"type": "plain_text", "text": "Snooze"},
                },
            },
            {"type": "divider"},
            {
                "type": "actions",
                "block_id": "a1",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "approve",
                        "value": "7",
                        "style": "primary",
                        "text": {"type": "plain_text", "text": "Approve"},
                    },
                    {
                        "type": "static_select",
                        "action_id": "pick",
                        "placeholder": {"type": "plain_text", "text": "Delay"},
                        "options": [
                            {"text": {"type": "plain_text", "text": "1 day"}, "value": "1d"},
                            {"text": {"type": "plain_text", "text": "1 week"}, "value": "1w"},
                        ],
                    },
                ],
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "see <https://x.test|docs>"}],
            },
        ],
    }
    text, refs = render_message(params, numbering_start=3, name_of={"U1": "alice"}.get)
    assert "# Check-in" in text
    assert "@alice owes *the spec* by Nov 14" in text
    assert "[3] Snooze" in text and "[4] Approve (primary)" in text and "[5] Delay" in text
    assert "docs (https://x.test)" in text
    assert [(r.number, r.action_id, r.value, r.block_id) for r in refs] == [
        (3, "snooze", "s", "s1"),
        (4, "approve", "7", "a1"),
        (5, "pick", None, "a1"),
    ]
    assert refs[1].style == "primary" and refs[2].options == (("1 day", "1d"), ("1 week", "1w"))


def test_render_view_with_inputs() -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Update"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "note",
                "label": {"type": "plain_text", "text": "Note"},
                "element": {"type": "plain_text_input", "action_id": "v", "multiline": True},
            }
        ],
    }
    text, refs = render_message({"trigger_id": "t", "view": view})
    assert "=== Update ===" in text and "Note: <plain_text_input, multiline>" in text
    assert refs == []
    assert [(f.block_id, f.action_id) for f in input_fields(view)] == [("note", "v")]
    assert mrkdwn_to_text("a &lt;b&gt; <#C1|general> <!here>") == "a <b> #general @here"


def test_views_and_response_url_semantics(fs: FakeSlack) -> None:
    c = client(fs)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    opened = c.views_open(trigger_id="trig-1", view=modal)["view"]
    with pytest.raises(SlackApiError) as err:
        c.views_open(trigger_id="trig-1", view=modal)
    assert err.value.response["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as err:
        c.views_open(trigger_id="trig-2", view={"type": "modal", "blocks": []})
    assert err.value.response["error"] == "invalid_arguments"
    updated = c.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as err:
        c.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    assert err.value.response["error"] == "hash_conflict"
    home = c.views_publish(user_id="U_ALICE", view={"type": "home", "blocks": []})["view"]
    assert fs.workspace.home_views["U_ALICE"] == home["id"]

    posted = c.chat_postMessage(channel="C_SHARED", text="please confirm")
    url = fs.new_response_url(channel_id="C_SHARED", user_id="U_VENDOR", message_ts=posted["ts"])
    hook = WebhookClient(url)
    assert hook.send(text="confirmed", replace_original=True).status_code == 200
    assert fs.messages("C_SHARED")[-1]["text"] == "confirmed"
    assert hook.send(text="just you").status_code == 200
    assert [e.text for e in fs.ephemerals(user="U_VENDOR")] == ["just you"]
    for _ in range(3):
        hook.send(text="more")
    assert hook.send(text="sixth").status_code == 404  # 5 posts per response_url
    assert len(fs.responses(url)) == 5


def test_bolt_oauth_install_against_the_fake(fs: FakeSlack, tmp_path: Any) -> None:
    from slack_bolt.oauth.oauth_flow import OAuthFlow
    from slack_bolt.oauth.oauth_settings import OAuthSettings
    from slack_sdk.oauth.installation_store import FileInstallationStore
    from slack_sdk.oauth.state_store import FileOAuthStateStore

    fs.workspace.add_oauth_code("code-1", team_id="T_NEW", bot_token="xoxb-new", bot_user_id="UB2")
    fs.workspace.add_user("U_NEWBIE", team_id="T_NEW")
    settings = OAuthSettings(
        client_id="cid",
        client_secret="cs",
        scopes=["chat:write", "commands"],
        installation_store=FileInstallationStore(base_dir=str(tmp_path)),
        state_store=FileOAuthStateStore(expiration_seconds=60, base_dir=str(tmp_path)),
    )
    api = WebClient(base_url=fs.api_url)
    app = App(
        signing_secret=SECRET,
        client=api,
        oauth_flow=OAuthFlow(client=api, settings=settings),
        process_before_response=True,
    )

    @app.command("/outsource")
    def on_command(ack: Any, say: Any) -> None:
        ack()
        say("hello new team")

    sender = SlackRequestSender(
        SECRET,
        wsgi_app=SlackRequestHandler(app),
        fake=fs,
        team_id="T_NEW",
        user_id="U_NEWBIE",
        channel_id="C_GENERAL",
    )
    install = sender.get("/slack/install")
    assert install.status == 200 and sender.cookies
    found = re.search(r"state=([\w-]+)", install.body_text)
    assert found is not None
    done = sender.get("/slack/oauth_redirect", {"code": "code-1", "state": found.group(1)})
    assert done.status == 200
    assert [c.method for c in fs.calls()][:1] == ["oauth.v2.access"]
    assert sender.command("hi").status == 200
    post = fs.calls("chat.postMessage")[-1]
    assert post.token == "xoxb-new" and post.ok
