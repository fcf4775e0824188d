"""Notification rules (pure): preference validation, quiet hours, digest slots, URL policy, message text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from canvas.errors import UsageError
from canvas.notify import prefs, render, schedule, send, urls


def test_lead_times_parse_to_minutes_largest_first() -> None:
    assert prefs.parse_lead_times("2d, 3h") == [2880, 180]
    assert prefs.parse_lead_times("30m; 1 hour, 1h") == [60, 30]
    assert prefs.parse_lead_times([180, 2880]) == [2880, 180]
    assert [prefs.format_lead(m) for m in (2880, 180, 90)] == ["2d", "3h", "90m"]


@pytest.mark.parametrize("bad", ["2 fortnights", "0h", "15d", "-3h", "1h, 2h, 3h, 4h, 5h, 6h"])
def test_bad_lead_times_are_one_sentence(bad: str) -> None:
    with pytest.raises(UsageError) as exc:
        prefs.parse_lead_times(bad)
    assert str(exc.value).endswith(".") and "\n" not in str(exc.value)


def test_validate_prefs() -> None:
    got = prefs.validate({}, quiet_start="22:00", quiet_end="7:00", digest="daily", kinds=["grade_posted"],
                         lead_times_minutes="1d", timezone="America/Denver")
    assert (got["quiet_start"], got["quiet_end"], got["digest"], got["kinds"], got["lead_times_minutes"],
            got["timezone"]) == ("22:00", "07:00", "daily", ["grade_posted"], [1440], "America/Denver")
    for bad in ({"quiet_start": "25:00", "quiet_end": "07:00"}, {"quiet_start": "22:00"},
                {"digest": "hourly"}, {"kinds": ["gossip"]}, {"timezone": "Mars/Olympus"}, {"colour": "red"}):
        with pytest.raises(UsageError):
            prefs.validate({}, **bad)


def test_quiet_hours_across_midnight_in_the_students_zone() -> None:
    p = {"quiet_start": "22:00", "quiet_end": "07:00"}
    night = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)  # 23:00 in Denver (UTC-7)
    at = schedule.deliver_after(night, p, "America/Denver")
    assert at == datetime(2026, 12, 6, 14, 0, tzinfo=UTC)  # 07:00 Denver
    day = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)  # 11:00 Denver
    assert schedule.deliver_after(day, p, "America/Denver") == day
    assert schedule.deliver_after(night, {}, "America/Denver") == night


def test_digest_slot_is_the_next_digest_time() -> None:
    p = {"digest_time": "08:00"}
    key, at = schedule.digest_slot(datetime(2026, 12, 6, 9, 0, tzinfo=UTC), p, "UTC")
    assert (key, at) == ("digest:2026-12-07", datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    key, at = schedule.digest_slot(datetime(2026, 12, 6, 7, 0, tzinfo=UTC), p, "UTC")
    assert (key, at) == ("digest:2026-12-06", datetime(2026, 12, 6, 8, 0, tzinfo=UTC))


def _no_dns(host: str, port: int) -> list[str]:
    raise AssertionError("no lookup expected")


def test_url_policy_follows_the_canvas_host_rule() -> None:
    assert urls.check_url("json://127.0.0.1:9999/hook", ("127.0.0.1",), _no_dns).startswith("json://")
    for private in ("json://127.0.0.1:9999/hook", "json://10.1.2.3/x", "ntfy://192.168.1.5/topic",
                    "json://localhost/x"):
        with pytest.raises(UsageError) as exc:
            urls.check_url(private, (), lambda h, p: ["127.0.0.1"])
        assert "hook" not in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(UsageError, match="private or loopback"):
        urls.check_url("json://hooks.internal.example/x", (), lambda h, p: ["10.0.0.8"])
    assert urls.check_url("json://hooks.example.com/x", (), lambda h, p: ["93.184.216.34"])
    # cloud services carry ids where a host would be: no lookup, no refusal
    assert urls.check_url("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", (), _no_dns)
    assert urls.check_url("ntfy://my-topic", (), _no_dns)
    with pytest.raises(UsageError, match="does not understand"):
        urls.check_url("nonsense://whatever", (), _no_dns)
    assert urls.label("tgram://123456:ABCDEF/987") == "tgram://…"


def test_messages_read_plainly() -> None:
    events = [{"kind": "grade_changed", "title": "Lab 2", "before": 7, "after": 9.5},
              {"kind": "due_date_changed", "title": "Essay", "before": "2026-12-10T23:59:00+00:00",
               "after": "2026-12-12T23:59:00+00:00"}]
    title, body = render.render("changes", {"events": events}, "UTC")
    assert title == "Canvas: 2 changes"
    assert "Lab 2: grade 7 → 9.5" in body and "Essay: due Thu Dec 10, 23:59 → Sat Dec 12, 23:59" in body
    title, body = render.render("reminder", {"title": "Essay", "course_name": "English", "lead_minutes": 180,
                                             "due_at": "2026-12-10T23:59:00+00:00", "html_url": "https://x/a/1"},
                                "UTC")
    assert title == "Due in 3h: Essay" and body.startswith("Essay (English) is due Thu Dec 10, 23:59.")


def test_delivery_errors_never_carry_the_url() -> None:
    url = "json://hooks.example.com:8443/s3cret-token/path?key=0123456789"
    text = "Failed to send to hooks.example.com:8443/s3cret-token/path?key=0123456789: 500"
    scrubbed = send.scrub(text, url)
    assert "s3cret" not in scrubbed and "0123456789" not in scrubbed and "hooks.example.com" not in scrubbed


def test_log_lines_never_show_a_notification_url() -> None:
    from canvas.log import redact

    line = redact("could not deliver to discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js (timeout)")
    assert "JHMHI8qBe7bk" not in line and "4174216298" not in line and line.startswith("could not deliver")
    assert redact("see https://school.instructure.com/courses/1") == "see https://school.instructure.com/courses/1"
