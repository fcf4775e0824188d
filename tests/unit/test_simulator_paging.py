"""Pagination of the simulated Canvas: page sizes, bookmark tokens, link header, big lists."""

from __future__ import annotations

import base64
import http.client
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from canvas.simulator import Simulator, token_for

AUTH = {"Authorization": f"Bearer {token_for(1)}"}
BIG_COURSE = 10004  # student 1's 260-assignment course with 15 groups


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(port=0, seed=1) as s:
        yield s


def get(sim: Simulator, path: str, **params) -> requests.Response:
    return requests.get(f"{sim.base_url}/api/v1{path}", headers=AUTH, params=params, timeout=5)


def follow(sim: Simulator, path: str, **params) -> tuple[list[dict], list[requests.Response]]:
    """Every item reachable by following rel="next" from the first page."""
    r = get(sim, path, **params)
    items, pages = [], []
    while True:
        assert r.status_code == 200
        items.extend(r.json())
        pages.append(r)
        nxt = r.links.get("next")
        if not nxt:
            return items, pages
        assert len(pages) < 100, "pagination loop"
        r = requests.get(nxt["url"], headers=AUTH, timeout=5)


def test_default_page_size_is_10_and_links_have_no_last(sim: Simulator) -> None:
    r = get(sim, f"/courses/{BIG_COURSE}/assignments")
    assert len(r.json()) == 10
    assert set(r.links) == {"current", "next", "first"}  # never rel="last"


@pytest.mark.parametrize(("asked", "served"), [("100", 100), ("500", 100), ("0", 1), ("-3", 1), ("junk", 10)])
def test_per_page_is_clamped_to_1_100(sim: Simulator, asked: str, served: int) -> None:
    r = get(sim, f"/courses/{BIG_COURSE}/assignments", per_page=asked)
    assert len(r.json()) == served
    assert parse_qs(urlsplit(r.links["next"]["url"]).query)["per_page"] == [str(served)]


def test_next_chain_covers_all_260_assignments_exactly_once(sim: Simulator) -> None:
    items, pages = follow(sim, f"/courses/{BIG_COURSE}/assignments", per_page="37")
    ids = [a["id"] for a in items]
    assert len(ids) == 260 and len(set(ids)) == 260
    assert len(pages) == 8  # ceil(260 / 37)
    assert "next" not in pages[-1].links
    assert ids == [a["id"] for g in sim.dataset(1)["assignment_groups"][BIG_COURSE] for a in g["assignments"]]


def test_assignment_groups_page_but_embedded_assignments_do_not(sim: Simulator) -> None:
    items, pages = follow(
        sim, f"/courses/{BIG_COURSE}/assignment_groups", **{"include[]": ["assignments", "submission"]}
    )
    assert [len(p.json()) for p in pages] == [10, 5]  # 15 groups, default page size
    assert sum(len(g["assignments"]) for g in items) == 260
    assert all("submission" in a for g in items for a in g["assignments"])
    assert [g["position"] for g in items] == list(range(1, 16))


def test_next_link_keeps_query_but_not_access_token(sim: Simulator) -> None:
    url = f"{sim.base_url}/api/v1/courses/{BIG_COURSE}/assignment_groups"
    params = {"include[]": ["assignments", "submission"], "access_token": token_for(1), "per_page": "3"}
    r = requests.get(url, params=params, timeout=5)
    nxt = r.links["next"]["url"]
    assert nxt.startswith(f"{sim.base_url}/api/v1/courses/{BIG_COURSE}/assignment_groups?")
    query = parse_qs(urlsplit(nxt).query)
    assert query["include[]"] == ["assignments", "submission"]
    assert "access_token" not in query and token_for(1) not in nxt
    assert query["per_page"] == ["3"]


def test_page_tokens_are_opaque_bookmarks(sim: Simulator) -> None:
    r = get(sim, f"/courses/{BIG_COURSE}/assignments", per_page="5")
    current = parse_qs(urlsplit(r.links["current"]["url"]).query)["page"][0]
    page = parse_qs(urlsplit(r.links["next"]["url"]).query)["page"][0]
    assert current == "first"
    assert page.startswith("bookmark:") and not page.removeprefix("bookmark:").isdigit()
    raw = page.removeprefix("bookmark:")
    base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))  # urlsafe base64 of JSON
    # a junk bookmark falls back to the first page rather than erroring
    assert get(sim, f"/courses/{BIG_COURSE}/assignments", page="bookmark:!!", per_page="5").json() == r.json()
    assert get(sim, f"/courses/{BIG_COURSE}/assignments", page="2", per_page="5").json() == r.json()


def test_single_page_still_has_current_and_first(sim: Simulator) -> None:
    r = get(sim, "/courses", per_page="100")
    assert len(r.json()) == 6
    assert set(r.links) == {"current", "first"}


def test_graded_submissions_newest_first_across_pages(sim: Simulator) -> None:
    items, pages = follow(sim, "/users/self/graded_submissions", per_page="25", **{"include[]": "assignment"})
    keys = [(s["graded_at"], s["id"]) for s in items]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)
    assert len(pages) > 2
    assert all(s["workflow_state"] == "graded" and s["posted_at"] for s in items)
    assert all(s["assignment"]["id"] == s["assignment_id"] for s in items)


def test_every_header_name_is_lowercase(sim: Simulator) -> None:
    host, port = urlsplit(sim.base_url).netloc.split(":")
    for path, auth in ((f"/api/v1/courses/{BIG_COURSE}/assignments", AUTH), ("/api/v1/courses", {})):
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            conn.request("GET", path, headers=auth)
            resp = conn.getresponse()
            resp.read()
            names = [name for name, _ in resp.getheaders()]
        finally:
            conn.close()
        assert names and all(name == name.lower() for name in names), names
    assert "link" in names or "www-authenticate" in names


def test_loop_and_foreign_next_faults() -> None:
    with Simulator(port=0, seed=1) as sim:
        sim.set_faults(loop_links=True)
        r = get(sim, f"/courses/{BIG_COURSE}/assignments")
        assert r.links["next"]["url"] == r.links["current"]["url"]
        sim.set_faults(loop_links=False, foreign_next=True)
        r = get(sim, f"/courses/{BIG_COURSE}/assignments")
        assert r.links["next"]["url"].startswith("http://evil.example/api/v1/")
        assert r.links["current"]["url"].startswith(sim.base_url)
