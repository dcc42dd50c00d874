"""``s`` and ``R`` in Arborist against the loopback API server: the dialog previews the change, Confirm sends the CLI's
server dry run then the real write to the right endpoint with the resourceVersion on screen as precondition; Esc
writes nothing; a 403 is the CLI's one line in the dialog; a 409 previews again from the newest state; a recording
is previewed and never written."""

from __future__ import annotations

import argparse
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reactivex.subject import Subject
from textual.widgets import Button, Input, Static

from grove.commands.cluster import access_from_args
from grove.commands.lifecycle.desk import ON_A_RECORDING, ChangeDesk
from grove.events.kinds import KINDS
from grove.events.kube.http import Http
from grove.events.kube.writing import Writer
from grove.events.model import Applied, Event, Listed, SourceHealthChanged, SourceStatus
from grove.views.tui.app import ArboristApp
from grove.views.tui.feed import LiveFeed
from grove.views.tui.screens.change import ChangeScreen
from grove.views.tui.screens.forest import ForestScreen
from grove.views.tui.session import LIVE, Providers, Session
from grove.views.tui.widgets.keyed_table import KeyedTable
from tests.support.kube_server import KubeServer, objects_from_recording, write_kubeconfig
from tests.views.tui.conftest import REPLAYS, replay_app, wait_until

AT = 1_793_610_000.0
SIZE = (160, 48)
PCS_SCALE = "/apis/grove.io/v1alpha1/namespaces/prod/podcliquesets/llm-serve/scale"


@pytest.fixture
def server() -> Iterator[KubeServer]:
    with KubeServer() as srv:
        for name in ("multi-tenant", "rolling-update"):
            objects = objects_from_recording(REPLAYS / f"{name}.jsonl")
            keep = {k: v for k, v in objects.items() if name == "multi-tenant" or k not in ("Node",
                    "ClusterTopologyBinding")}  # fmt: skip
            srv.seed_state(keep)
        yield srv


@pytest.fixture
def http(server: KubeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Http]:
    for var in ("KUBECONFIG", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(var, raising=False)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server.url, "prod", token="t")
    client = Http(access_from_args(argparse.Namespace(kubeconfig=str(kubeconfig))))
    yield client
    client.close()


class Rig:
    """A live app whose state is what the loopback server holds (its objects listed, resourceVersions and all),
    with the change desk writing to that server."""

    def __init__(self, server: KubeServer, http: Http, namespace: str) -> None:
        self.server = server
        self.subject: Subject[Event] = Subject()
        self.desk = ChangeDesk(Writer(http), stamp=lambda: "2026-12-01T00:00:00Z")
        session = Session(LIVE, namespace, context="loopback", cluster="loopback", user="t", label=server.url)
        self.app = ArboristApp(session, LiveFeed(self.subject, clock=None), Providers(changes=self.desk))

    def kinds(self) -> list[str]:
        return ["PodCliqueSet", "PodCliqueScalingGroup", "PodClique", "PodGang", "Pod", "Node",
                "ClusterTopologyBinding"]  # fmt: skip

    async def start(self, pilot: Any) -> None:
        for kind in self.kinds():
            self.subject.on_next(Listed(AT, kind, tuple(self._as_watched(kind, o) for o in self.server.objects(kind))))
        for kind in (*self.kinds(), "Event"):
            self.subject.on_next(SourceHealthChanged(AT, kind, SourceStatus.LIVE))
        await wait_until(pilot, lambda: bool(self.table().keys))

    def push_server_copy(self, kind: str, namespace: str, name: str) -> None:
        obj = next(o for o in self.server.objects(kind) if o["metadata"]["name"] == name
                   and o["metadata"]["namespace"] == namespace)  # fmt: skip
        self.subject.on_next(Applied(AT + 1, kind, self._as_watched(kind, obj)))

    @staticmethod
    def _as_watched(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        """As the live source hands an object on: a copy, with kind and apiVersion (list items come without)."""
        return {**copy.deepcopy(obj), "kind": kind, "apiVersion": KINDS[kind].api_version}

    def table(self) -> KeyedTable:
        return self.app.screen.query_one("#resources", KeyedTable)

    async def cursor_to(self, pilot: Any, key: str) -> None:
        for _ in range(len(self.table().keys)):
            if self.table().current_key == key:
                return
            await pilot.press("down")
            await pilot.pause()
        assert self.table().current_key == key, self.table().keys

    def dialog(self) -> ChangeScreen:
        screen = self.app.screen
        assert isinstance(screen, ChangeScreen), screen
        return screen


def _stored(server: KubeServer, kind: str, namespace: str, name: str) -> dict[str, Any]:
    return next(o for o in server.objects(kind) if o["metadata"]["name"] == name
                and o["metadata"]["namespace"] == namespace)  # fmt: skip


async def _planned(pilot: Any, dialog: ChangeScreen, replicas: int | None = None) -> None:
    def ready() -> bool:
        plan = dialog.plan
        return not dialog.busy and plan is not None and (replicas is None or plan.replicas == replicas)

    await wait_until(pilot, lambda: not dialog.busy and dialog.plan is not None, timeout=10)
    assert ready(), dialog.plan


async def _type_replicas(pilot: Any, dialog: ChangeScreen, value: int) -> None:
    field = dialog.query_one("#replicas", Input)
    await pilot.press("end", *["backspace"] * len(field.value), *str(value))
    assert field.value == str(value)
    await _planned(pilot, dialog, value)


def _note(dialog: ChangeScreen) -> str:
    return str(dialog.query_one("#change-note", Static).render())


async def test_scale_a_pcs_previews_then_sends_the_dry_run_then_the_write_with_the_resource_version_read(
    server: KubeServer, http: Http
) -> None:
    rig = Rig(server, http, "prod")
    read = _stored(server, "PodCliqueSet", "prod", "llm-serve")["metadata"]["resourceVersion"]
    async with rig.app.run_test(size=SIZE) as pilot:
        await rig.start(pilot)
        await pilot.press("s")
        dialog = rig.dialog()
        await _planned(pilot, dialog, 2)
        assert dialog.plan is not None and dialog.plan.nothing is not None  # 2 → 2: nothing to confirm
        await _type_replicas(pilot, dialog, 3)
        plan = dialog.plan
        assert plan is not None and plan.lines == ("PodCliqueSet llm-serve: replicas 2 → 3",)
        assert plan.preview is not None and plan.preview.steps[-1].main.replicas == 3
        assert [g.gang for g in plan.new_gangs] == ["llm-serve-2"] and plan.new_gangs[0].fit.placed
        assert not dialog.query_one("#confirm", Button).disabled
        assert server.writes.writes == []  # previewing writes nothing
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(rig.app.screen, ForestScreen), timeout=10)
    writes = server.writes.writes
    assert [(w.method, w.path, w.dry_run) for w in writes] == [("PUT", PCS_SCALE, True), ("PUT", PCS_SCALE, False)]
    assert writes[1].body["metadata"]["resourceVersion"] == read and writes[1].body["spec"] == {"replicas": 3}
    assert _stored(server, "PodCliqueSet", "prod", "llm-serve")["spec"]["replicas"] == 3


async def test_the_count_is_typed_over_as_in_a_shell(server: KubeServer, http: Http) -> None:
    """The dialog opens with the current count and the cursor after it: backspace then digits is the new count."""
    rig = Rig(server, http, "prod")
    async with rig.app.run_test(size=SIZE) as pilot:
        await rig.start(pilot)
        await pilot.press("s")
        dialog = rig.dialog()
        await _planned(pilot, dialog, 2)
        await pilot.press("backspace", "4")
        assert dialog.query_one("#replicas", Input).value == "4"
        await _planned(pilot, dialog, 4)
        await pilot.press("escape")
    assert server.writes.writes == []


async def test_scale_a_scaling_group_writes_its_scale_subresource(server: KubeServer, http: Http) -> None:
    rig = Rig(server, http, "inference")
    async with rig.app.run_test(size=SIZE) as pilot:
        await rig.start(pilot)
        await rig.cursor_to(pilot, "pcs:inference/llama-70b")
        await pilot.press("enter")  # one PCS replica: straight into it
        await wait_until(pilot, lambda: "pcsg:llama-70b-0-decode" in rig.table().keys)
        await rig.cursor_to(pilot, "pcsg:llama-70b-0-decode")
        await pilot.press("s")
        dialog = rig.dialog()
        assert dialog.target.kind == "PodCliqueScalingGroup" and dialog.current == 3
        await _type_replicas(pilot, dialog, 4)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(server.writes.writes) == 2, timeout=10)
    path = "/apis/grove.io/v1alpha1/namespaces/inference/podcliquescalinggroups/llama-70b-0-decode/scale"
    assert [(w.path, w.dry_run) for w in server.writes.writes] == [(path, True), (path, False)]
    assert server.writes.writes[1].body["metadata"]["resourceVersion"]
    assert _stored(server, "PodCliqueScalingGroup", "inference", "llama-70b-0-decode")["spec"]["replicas"] == 4


async def test_scale_a_standalone_clique_and_refuse_a_scaling_group_member(server: KubeServer, http: Http) -> None:
    rig = Rig(server, http, "prod")
    async with rig.app.run_test(size=SIZE) as pilot:
        await rig.start(pilot)
        await pilot.press("enter", "enter")  # llm-serve → replica 0
        await wait_until(pilot, lambda: "clique:llm-serve-0-prefill" in rig.table().keys)
        await rig.cursor_to(pilot, "clique:llm-serve-0-prefill")
        await pilot.press("s")
        dialog = rig.dialog()
        await _type_replicas(pilot, dialog, 4)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(server.writes.writes) == 2, timeout=10)
    path = "/apis/grove.io/v1alpha1/namespaces/prod/podcliques/llm-serve-0-prefill/scale"
    assert [(w.path, w.dry_run) for w in server.writes.writes] == [(path, True), (path, False)]

    member = Rig(server, http, "inference")
    async with member.app.run_test(size=SIZE) as pilot:
        await member.start(pilot)
        await member.cursor_to(pilot, "pcs:inference/llama-70b")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "pcsg:llama-70b-0-decode" in member.table().keys)
        await member.cursor_to(pilot, "pcsg:llama-70b-0-decode")
        await pilot.press("enter")  # its replicas
        await wait_until(pilot, lambda: "sgr:0" in member.table().keys)
        await pilot.press("enter")  # replica 0: its cliques
        await wait_until(pilot, lambda: any(k.startswith("clique:") for k in member.table().keys))
        await pilot.press("s")
        dialog = member.dialog()
        await _type_replicas(pilot, dialog, 3)
        plan = dialog.plan
        assert (
            plan is not None and plan.error is not None and "member of scaling group llama-70b-0-decode" in plan.error
        )
        assert dialog.query_one("#confirm", Button).disabled
        await pilot.press("enter")
        await pilot.pause()
    assert len(server.writes.writes) == 2  # nothing more


async def test_escape_writes_nothing(server: KubeServer, http: Http) -> None:
    rig = Rig(server, http, "prod")
    before = server.snapshot()
    async with rig.app.run_test(size=SIZE) as pilot:
        await rig.start(pilot)
        await pilot.press("s")
        dialog = rig.dialog()
        await _type_replicas(pilot, dialog, 5)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(rig.app.screen, ForestScreen)
        await pilot.press("R")
        await _planned(pilot, rig.dialog())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(rig.app.screen, ForestScreen)
    assert server.writes.writes == [] and server.snapshot() == before


async def test_forbidden_is_the_clis_one_line_in_the_dialog(server: KubeServer, http: Http) -> None:
    server.writes.forbidden["podcliquesets/scale"] = "readonly"
    rig = Rig(server, http, "prod")
    async with rig.app.run_test(size=SIZE) as pilot:
        await rig.start(pilot)
        await pilot.press("s")
        dialog = rig.dialog()
        await _type_replicas(pilot, dialog, 3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: dialog.outcome is not None, timeout=10)
        assert rig.app.screen is dialog  # still open: the user reads why
        note = _note(dialog)
        assert note.startswith("not allowed: ") and "\n" not in note
        assert 'User "readonly" cannot update resource "podcliquesets/scale" in API group "grove.io"' in note
    assert server.writes.real_writes() == []
    assert _stored(server, "PodCliqueSet", "prod", "llm-serve")["spec"]["replicas"] == 2


async def test_a_conflict_previews_again_from_the_newest_state_and_asks_again(server: KubeServer, http: Http) -> None:
    rig = Rig(server, http, "prod")
    async with rig.app.run_test(size=SIZE) as pilot:
        await rig.start(pilot)
        await pilot.press("s")
        dialog = rig.dialog()
        await _type_replicas(pilot, dialog, 3)
        pcs = _stored(server, "PodCliqueSet", "prod", "llm-serve")
        server.put("PodCliqueSet", {**pcs, "spec": {**pcs["spec"], "replicas": 4}})  # someone else, meanwhile
        await pilot.press("enter")
        await wait_until(pilot, lambda: dialog.outcome is not None, timeout=10)
        assert dialog.outcome is not None and dialog.outcome.conflict and "409" in _note(dialog)
        assert server.writes.real_writes() == []
        rig.push_server_copy("PodCliqueSet", "prod", "llm-serve")  # the watch brings the object as it is now
        await wait_until(pilot, lambda: dialog.plan is not None and dialog.plan.lines
                         == ("PodCliqueSet llm-serve: replicas 4 → 3",), timeout=10)  # fmt: skip
        await _planned(pilot, dialog, 3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(rig.app.screen, ForestScreen), timeout=10)
    real = server.writes.real_writes()
    assert len(real) == 1 and real[0].body["spec"] == {"replicas": 3}
    assert _stored(server, "PodCliqueSet", "prod", "llm-serve")["spec"]["replicas"] == 3


async def test_restart_patches_the_template_after_a_dry_run_and_records_a_revision(
    server: KubeServer, http: Http
) -> None:
    rig = Rig(server, http, "prod")
    async with rig.app.run_test(size=SIZE) as pilot:
        await rig.start(pilot)
        await pilot.press("R")
        dialog = rig.dialog()
        await _planned(pilot, dialog)
        plan = dialog.plan
        assert plan is not None and plan.preview is not None and len(plan.preview.steps) > 2
        assert any("affected pods: 14" in line for line in plan.lines)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(rig.app.screen, ForestScreen), timeout=10)
    pcs_path = "/apis/grove.io/v1alpha1/namespaces/prod/podcliquesets/llm-serve"
    writes = [(w.method, w.path, w.dry_run) for w in server.writes.writes]
    assert writes[:2] == [("PATCH", pcs_path, True), ("PATCH", pcs_path, False)]
    assert any(m == "POST" and p.endswith("/controllerrevisions") for m, p, _ in writes[2:])
    cliques = _stored(server, "PodCliqueSet", "prod", "llm-serve")["spec"]["template"]["cliques"]
    assert {c["annotations"]["kubectl-grove.io/restartedAt"] for c in cliques} == {"2026-12-01T00:00:00Z"}


async def test_a_recording_is_previewed_and_never_written() -> None:
    app = replay_app("rolling-update.jsonl", at=0, providers=Providers(changes=ChangeDesk(None)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("s")
        dialog = app.screen
        assert isinstance(dialog, ChangeScreen)
        await _type_replicas(pilot, dialog, 3)
        assert dialog.plan is not None and dialog.plan.preview is not None  # the preview is there
        assert dialog.query_one("#confirm", Button).disabled
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and dialog.outcome is None
        assert ON_A_RECORDING in _note(dialog)
        assert dialog.desk.write(dialog.plan).lines == (ON_A_RECORDING,)  # the desk itself refuses too


def test_the_tui_command_hands_the_app_a_desk_that_writes_to_the_cluster_it_watches(
    server: KubeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kubectl grove tui`` on the loopback server, end to end: the watch fills the app, ``s`` writes through the
    command's own connection, and the watch brings the change back."""
    import asyncio

    from grove.commands.main import main

    for var in ("KUBECONFIG", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(var, raising=False)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server.url, "prod", token="t")
    seen: list[str] = []

    async def drive(app: ArboristApp) -> None:
        async with app.run_test(size=SIZE) as pilot:
            table = lambda: app.screen.query_one("#resources", KeyedTable)  # noqa: E731
            await wait_until(pilot, lambda: bool(table().keys), timeout=10)
            await pilot.press("s")
            dialog = app.screen
            assert isinstance(dialog, ChangeScreen)
            await _type_replicas(pilot, dialog, 3)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ForestScreen), timeout=10)
            pcs = lambda: app.state.get("PodCliqueSet", "prod", "llm-serve") or {}  # noqa: E731
            await wait_until(pilot, lambda: pcs().get("spec", {}).get("replicas") == 3, timeout=10)
            seen.append("replicas 3 watched back")

    def run_headless(self: ArboristApp, *args: Any, **kwargs: Any) -> None:
        asyncio.run(drive(self))

    monkeypatch.setattr(ArboristApp, "run", run_headless)
    assert main(["tui", "--kubeconfig", str(kubeconfig), "-n", "prod"]) == 0
    assert seen == ["replicas 3 watched back"]
    assert [(w.path, w.dry_run) for w in server.writes.writes] == [(PCS_SCALE, True), (PCS_SCALE, False)]


def test_a_replay_gets_a_desk_that_only_previews(monkeypatch: pytest.MonkeyPatch) -> None:
    from grove.commands.main import main

    started: list[ArboristApp] = []
    monkeypatch.setattr(ArboristApp, "run", lambda self, *a, **k: started.append(self))
    assert main(["tui", "--replay", str(REPLAYS / "rolling-update.jsonl")]) == 0
    desk = started[0].providers.changes
    assert desk is not None and desk.read_only == ON_A_RECORDING
