"""Completion values from the kubeconfig and the cluster: quick, bounded, silent.

Contexts come from the kubeconfig files alone (PyYAML, no client). Namespaces, PodCliqueSets and roles need the API
server: the kubeconfig is resolved as the commands resolve it (``grove.commands.cluster``, which imports the
Kubernetes client, so only then), each request gets ``REQUEST_TIMEOUT`` and the whole lookup ``DEADLINE``; past it,
or on any error, there is simply nothing to offer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from grove.commands.complete import Candidate, ClusterValues, Typed

REQUEST_TIMEOUT = 2.0
DEADLINE = 3.0


def _bounded(work: Callable[[], list[Candidate]]) -> list[Candidate]:
    """``work()`` on a daemon thread; [] if it fails or is still running after DEADLINE (the process then exits)."""
    result: list[list[Candidate]] = []

    def run() -> None:
        try:
            result.append(work())
        except Exception:
            result.append([])

    thread = threading.Thread(target=run, name="complete", daemon=True)
    thread.start()
    thread.join(DEADLINE)
    return result[0] if result else []


class Lookup(ClusterValues):
    """The values a user's kubeconfig and cluster offer."""

    def contexts(self, typed: Typed) -> list[Candidate]:
        import yaml

        from grove.commands.cluster import kubeconfig_files

        names: list[Candidate] = []
        for path in kubeconfig_files(typed.get("kubeconfig")):
            with open(path, encoding="utf-8") as fh:
                config = yaml.safe_load(fh) or {}
            for entry in config.get("contexts") or ():
                context = entry.get("context") or {}
                description = f"cluster {context.get('cluster', '?')}, namespace {context.get('namespace', 'default')}"
                names.append(Candidate(str(entry.get("name")), description))
        return names

    def _get(self, typed: Typed, path: Callable[[str], str]) -> Any:
        """One GET with the typed ``--kubeconfig``/``--context``; ``path`` gets the context's namespace."""
        from grove.commands.cluster import resolve_access
        from grove.events.kube import Http

        access = resolve_access(typed.get("kubeconfig"), typed.get("context"), REQUEST_TIMEOUT)
        http = Http(access, maxsize=1)
        try:
            return http.get_json(path(access.namespace))
        finally:
            http.close()

    def namespaces(self, typed: Typed) -> list[Candidate]:
        """Every namespace; a user who may not list them (a tenant) is offered the context's own."""
        from grove.events.kube import ApiError

        def work() -> list[Candidate]:
            own: list[str] = []

            def path(namespace: str) -> str:
                own.append(namespace)
                return "/api/v1/namespaces"

            try:
                body = self._get(typed, path)
            except ApiError:
                return [Candidate(n, "the context's namespace") for n in own]
            return [Candidate(str(item["metadata"]["name"])) for item in body.get("items") or ()]

        return _bounded(work)

    @staticmethod
    def _pcs_path(typed: Typed, default_namespace: str, name: str = "") -> str:
        from grove.events.kinds import KINDS, PODCLIQUESET
        from grove.events.kube import resource_path

        namespace = None if typed.all_namespaces and not name else typed.get("namespace") or default_namespace
        path = resource_path(KINDS[PODCLIQUESET], namespace)
        return f"{path}/{name}" if name else path

    def podcliquesets(self, typed: Typed) -> list[Candidate]:
        def work() -> list[Candidate]:
            body = self._get(typed, lambda namespace: self._pcs_path(typed, namespace))
            found = []
            for item in body.get("items") or ():
                meta = item.get("metadata") or {}
                found.append(Candidate(str(meta.get("name")), f"namespace {meta.get('namespace', '')}"))
            return sorted(found, key=lambda c: c.value)

        return _bounded(work)

    def roles(self, typed: Typed) -> list[Candidate]:
        name = typed.get("name") or typed.get("pcs")
        if not name:
            return []

        def work() -> list[Candidate]:
            body = self._get(typed, lambda namespace: self._pcs_path(typed, namespace, name))
            cliques = ((body.get("spec") or {}).get("template") or {}).get("cliques") or ()
            roles = {str((c.get("spec") or {}).get("roleName") or "") for c in cliques} - {""}
            return [Candidate(role, f"role in {name}") for role in sorted(roles)]

        return _bounded(work)
