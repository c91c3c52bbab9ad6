"""Retention keys in the store profile at HQ (a real SQLite database): set at chain, group or
store like any key, checked (1-3650 days, comments optional or 'never'), resolved per store,
and carried in the profile only when some level sets one (so every other store's profile keeps
its bytes and version)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hqkit import Server, csrf_token, new_store, sign_in

from hq import groups, profiles, users
from hq.errors import ConfigError
from hq.roles import Role
from hq.service import Hq, HqConfig, RetentionPolicy


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[Hq]:
    hq = Hq.open(HqConfig(data_dir=tmp_path, retention=RetentionPolicy(contact_days=120)))
    for store in ("blr-01", "blr-02", "del-01"):
        hq.add_store(store, name=store.upper())
    yield hq
    hq.close()


def test_retention_is_set_per_level_and_checked(hq: Hq) -> None:
    before = {p.store_id: p.version for p in profiles.all_profiles(hq)}
    assert all(p.retention is None for p in profiles.all_profiles(hq))
    # Nothing set anywhere: HQ's configured policy for every store.
    assert set(profiles.retention_policies(hq).values()) == {hq.config.retention}

    for bad in ("0", "3651", "soon"):
        with pytest.raises(ConfigError):
            value = profiles.parse_setting("retention.contact_days", bad)
            profiles.set_settings(hq, "chain", "", {"retention.contact_days": value}, actor="test")
    with pytest.raises(ConfigError):
        profiles.parse_setting("retention.contact_resolved_days", "never")

    chain = profiles.parse_setting("retention.comment_days", "30")
    profiles.set_settings(hq, "chain", "", {"retention.comment_days": chain}, actor="test")
    groups.add_group(hq, "south", kind="region", name="South")
    groups.set_group(hq, store_id="blr-01", group_id="south")
    groups.set_group(hq, store_id="blr-02", group_id="south")
    profiles.set_settings(hq, "group", "south", {"retention.contact_days": 60}, actor="test")
    keep = profiles.parse_setting("retention.comment_days", "never")
    assert keep == profiles.KEEP
    profiles.set_settings(hq, "store", "blr-02", {"retention.comment_days": keep}, actor="test")

    policies = profiles.retention_policies(hq)
    assert policies["blr-01"] == RetentionPolicy(90, 60, 30)
    assert policies["blr-02"] == RetentionPolicy(90, 60, None)  # 'never' beats the chain's 30
    assert policies["del-01"] == RetentionPolicy(90, 180, 30)  # unset keys: built-in defaults
    after = {p.store_id: p for p in profiles.all_profiles(hq)}
    assert all(after[s].version > before[s] for s in before)
    assert after["blr-02"].retention is not None and after["blr-02"].retention.comment_days is None
    assert profiles.format_setting("retention.comment_days", keep) == "never"

    # Unsetting every key: the profiles drop the field and HQ's own policy applies again.
    profiles.set_settings(hq, "chain", "", {"retention.comment_days": None}, actor="test")
    profiles.set_settings(hq, "group", "south", {"retention.contact_days": None}, actor="test")
    profiles.set_settings(hq, "store", "blr-02", {"retention.comment_days": None}, actor="test")
    assert all(p.retention is None for p in profiles.all_profiles(hq))
    assert "retention" not in profiles.current_profile(hq, "blr-01").model_dump(mode="json")
    assert profiles.retention_policies(hq)["del-01"] == hq.config.retention


def test_the_store_editor_sets_and_refuses_retention(hq_server: Server) -> None:
    store = new_store(hq_server, name="Retention Editor")
    name = f"admin-{uuid.uuid4().hex[:6]}"
    users.add_user(hq_server.hq, name, password="retention pass 1", role=Role.ADMIN)
    admin = sign_in(hq_server.base, name, "retention pass 1")
    page = admin.get(hq_server.url(f"/stores/{store}"), timeout=10)
    assert page.status_code == 200 and 'name="retention.contact_days"' in page.text
    token = csrf_token(page.text)
    bad = admin.post(
        hq_server.url(f"/stores/{store}"),
        data={"csrf_token": token, "retention.contact_days": "0"},
        timeout=10,
    )
    assert bad.status_code == 422 and "retention.contact_days" in bad.text
    saved = admin.post(
        hq_server.url(f"/stores/{store}"),
        data={
            "csrf_token": token,
            "retention.contact_days": "45",
            "retention.comment_days": "never",
        },
        timeout=10,
    )
    assert saved.status_code == 200 and "new profile version" in saved.text
    policy = profiles.retention_policies(hq_server.hq)[store]
    assert policy == RetentionPolicy(contact_resolved_days=90, contact_days=45, comment_days=None)
    shown = admin.get(hq_server.url(f"/stores/{store}"), timeout=10).text
    assert 'value="45"' in shown and 'value="never"' in shown
