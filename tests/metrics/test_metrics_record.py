"""``record --metrics``: the samples of the workloads' pods go into the recording with the live events, and the
recording replays to a metrics report."""

from __future__ import annotations

from pathlib import Path

import pytest

from grove.commands.main import main
from grove.events.model import Listed, MetricsSampled
from grove.events.recordings.reader import Recording
from tests.metrics import world as w
from tests.support.kube_server import write_kubeconfig

pytestmark = pytest.mark.usefixtures("clean_client_env")


def test_record_with_metrics_writes_samples_of_the_workloads_pods(
    world: w.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kc", world.server.url, w.NS)
    out = tmp_path / "with-metrics.jsonl"
    argv = ["record", "-o", str(out), "--kubeconfig", str(kubeconfig), "--duration", "1.5s", "--metrics", "0.2s"]
    assert main(argv) == 0, capsys.readouterr().err
    events = Recording(out).load()
    samples = [e for e in events if isinstance(e, MetricsSampled)]
    pods = {obj["metadata"]["name"] for e in events if isinstance(e, Listed) and e.kind == "Pod" for obj in e.objects}
    assert samples and {s.pod for s in samples} <= pods
    first_list = next(i for i, e in enumerate(events) if isinstance(e, Listed) and e.kind == "Pod")
    assert events.index(samples[0]) > first_list  # scraped once the pods were known
    assert any(s.series and not s.problem for s in samples)
