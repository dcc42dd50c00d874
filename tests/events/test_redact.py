"""Redaction of credentials in objects and text: what is replaced, what is kept, and that nothing leaks."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from grove.events.redact import (
    LAST_APPLIED,
    MARKER,
    credential_word,
    looks_like_credential,
    redact_object,
    scrub,
    scrub_log,
)


def _container(name: str, env: list[dict[str, Any]], args: list[str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "image": "vllm:1", "env": env}
    if args is not None:
        container["args"] = args
    return container


def _pod() -> dict[str, Any]:
    return {
        "kind": "Pod",
        "metadata": {
            "name": "web-0",
            "namespace": "demo",
            "labels": {"grove.io/podclique": "inf-0-prefill", "app.kubernetes.io/part-of": "inf"},
            "annotations": {"example.com/api-token": "annot-secret-1", "example.com/owner": "team-a"},
        },
        "spec": {
            "initContainers": [_container("init", [{"name": "INIT_PW", "value": "init-secret-2"}])],
            "containers": [
                _container(
                    "main",
                    [
                        {"name": "HF_TOKEN", "value": "env-secret-3"},
                        {"name": "DB_PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                        {"name": "EMPTY", "value": ""},
                    ],
                    ["--model", "llama", "--api-key", "arg-secret-4", "--password=arg-secret-5"],
                )
            ],
        },
        "status": {"conditions": [{"type": "Ready", "status": "False", "message": "probe: password=cond-secret-6"}]},
    }


def test_env_values_are_replaced_and_value_from_is_kept() -> None:
    pod = _pod()
    before = copy.deepcopy(pod)
    clean, found = redact_object(pod)
    assert pod == before  # the input is not changed
    main = clean["spec"]["containers"][0]
    assert main["env"][0] == {"name": "HF_TOKEN", "value": MARKER}
    assert main["env"][1] == before["spec"]["containers"][0]["env"][1]  # valueFrom stays
    assert main["env"][2] == {"name": "EMPTY", "value": ""}  # nothing to hide
    assert clean["spec"]["initContainers"][0]["env"][0]["value"] == MARKER
    fields = {(r.field, r.reason) for r in found}
    assert ("spec.containers[main].env[HF_TOKEN].value", "env value") in fields
    assert ("spec.initContainers[init].env[INIT_PW].value", "env value") in fields
    assert all(r.where == "Pod demo/web-0" for r in found)


def test_nested_pod_templates_are_redacted_too() -> None:
    pcs = {
        "kind": "PodCliqueSet",
        "metadata": {"name": "inf", "namespace": "demo"},
        "spec": {
            "template": {
                "cliques": [
                    {
                        "name": "prefill",
                        "annotations": {"vault.example/agent-inject-secret-db": "db/creds"},
                        "spec": {"podSpec": {"containers": [_container("c", [{"name": "K", "value": "pcs-secret"}])]}},
                    }
                ]
            }
        },
    }
    clean, found = redact_object(pcs)
    clique = clean["spec"]["template"]["cliques"][0]
    assert clique["spec"]["podSpec"]["containers"][0]["env"][0]["value"] == MARKER
    assert clique["annotations"]["vault.example/agent-inject-secret-db"] == MARKER
    assert {r.field for r in found} == {
        "spec.template.cliques[prefill].spec.podSpec.containers[c].env[K].value",
        "spec.template.cliques[prefill].annotations[vault.example/agent-inject-secret-db]",
    }


def test_annotations_labels_arguments_and_messages() -> None:
    clean, found = redact_object(_pod())
    meta = clean["metadata"]
    assert meta["annotations"] == {"example.com/api-token": MARKER, "example.com/owner": "team-a"}
    assert meta["labels"] == _pod()["metadata"]["labels"]  # Grove's labels are never touched
    args = clean["spec"]["containers"][0]["args"]
    assert args == ["--model", "llama", "--api-key", MARKER, f"--password={MARKER}"]
    assert clean["status"]["conditions"][0]["message"] == f"probe: password={MARKER}"
    reasons = {r.field: r.reason for r in found}
    assert reasons["metadata.annotations[example.com/api-token]"] == "annotation key names a credential (token)"
    assert reasons["spec.containers[main].args[3]"] == "argument after --api-key"
    assert reasons["spec.containers[main].args[4]"] == "credential assignment"
    assert reasons["status.conditions[0].message"] == "credential assignment"
    text = repr(found)
    for secret in ("annot-secret-1", "init-secret-2", "env-secret-3", "arg-secret-4", "arg-secret-5", "cond-secret-6"):
        assert secret not in repr(clean)
        assert secret not in text


def test_credential_values_and_last_applied_configuration() -> None:
    obj = {
        "kind": "PodClique",
        "metadata": {
            "name": "x",
            "namespace": "demo",
            "annotations": {
                LAST_APPLIED: '{"spec":{"podSpec":{"containers":[{"env":[{"name":"A","value":"applied-secret"}]}]}}}',
                "example.com/callback": "https://bot:hunter2hunter2@hooks.example.com/x",
                "example.com/description": "serves llama with 8 GPUs",
            },
        },
    }
    clean, found = redact_object(obj)
    annotations = clean["metadata"]["annotations"]
    assert annotations[LAST_APPLIED] == MARKER
    assert annotations["example.com/callback"] == MARKER
    assert annotations["example.com/description"] == "serves llama with 8 GPUs"
    assert {r.reason for r in found} == {
        "holds a copy of the applied object (env values included)",
        "annotation value looks like a credential (password in URL)",
    }


def test_unchanged_objects_are_shared_not_copied() -> None:
    node = {"kind": "Node", "metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "n1"}}, "status": {}}
    clean, found = redact_object(node)
    assert clean is node and found == ()
    pod = _pod()
    clean, _ = redact_object(pod)
    assert clean["metadata"]["labels"] is pod["metadata"]["labels"]


@pytest.mark.parametrize(
    ("text", "secret", "reason"),
    [
        ("Authorization: Bearer abcdefghij0123456789", "abcdefghij0123456789", "bearer token"),
        ("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='", "dXNlcjpwYXNzd29yZA==", "basic auth"),
        ("dial postgres://admin:pg-pass-0099@db:5432/app", "pg-pass-0099", "password in URL"),
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
            "JWT",
        ),
        ("using key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI", "credential assignment"),
        ('{"level":"info","password":"json-pw-1"}', "json-pw-1", "credential assignment"),
        ("DB_PASSWORD=env-style-pw", "env-style-pw", "credential assignment"),
        ("start --hf-token hf_abcdefghijklmnopqrstuvwxyzABCDEF", "hf_abcdefghijklmnop", "API token"),
        ("export NGC_API_KEY=nvapi-abcdefghijklmnopqrstuvwxyz", "nvapi-abcdefghij", "API token"),
        ("login --password flag-pw-77 --verbose", "flag-pw-77", "credential flag"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
            "MIIEpAIBAAKCAQEA",
            "private key",
        ),
        ("webhook?token=query-token-9", "query-token-9", "credential assignment"),
    ],
)
def test_text_patterns(text: str, secret: str, reason: str) -> None:
    out, found = scrub(text)
    assert secret not in out
    assert MARKER in out
    assert reason in found


@pytest.mark.parametrize(
    "line",
    [
        "prefill throughput: 1234 tokens/s, max_tokens=512, num_tokens: 128",
        "token: 5 of 16 generated",
        "created secret grove-webhook-server-cert",
        "secret_name=grove-webhook-server-cert",
        "password=true",
        "Authorization header missing",
        "basic scheduling done",
        "reconciled PodCliqueSet demo/inference in 12ms",
        "--token-file /var/run/token",
        "password: $DB_PASSWORD",
    ],
)
def test_ordinary_lines_are_left_alone(line: str) -> None:
    assert scrub(line) == (line, {})


def test_log_redactions_name_lines_and_keep_line_numbers() -> None:
    text = (
        "boot\n"
        "Authorization: Bearer tok-abcdefghijklmnop\n"
        "-----BEGIN PRIVATE KEY-----\nAAAA\nBBBB\n-----END PRIVATE KEY-----\n"
        "ok\n"
        "password=pw-1 and again password=pw-2\n"
    )
    out, found = scrub_log(text, "logs/x.log")
    assert out.count("\n") == text.count("\n")
    assert out.splitlines()[6] == "ok"
    for secret in ("tok-abcdefghijklmnop", "AAAA", "BBBB", "pw-1", "pw-2"):
        assert secret not in out
    by_reason = {r.reason: r for r in found}
    assert by_reason["bearer token"].field == "line 2"
    assert by_reason["private key"].field == "line 3"
    assert by_reason["credential assignment"].field == "line 8"
    assert by_reason["credential assignment"].count == 2
    assert all(r.where == "logs/x.log" for r in found)
    assert "pw-1" not in repr(found)


def test_a_log_without_secrets_is_returned_as_is() -> None:
    text = "starting vllm\nloaded model in 12s\n" * 100
    out, found = scrub_log(text, "x.log")
    assert out is text and found == ()


@pytest.mark.parametrize(
    ("key", "word"),
    [
        ("vault.example/db-password", "password"),
        ("apiKey", "api key"),
        ("example.com/ssh-key", "ssh key"),
        ("AUTH_TOKEN", "token"),
        ("client_credentials", "credentials"),
        ("grove.io/podclique", None),
        ("app.kubernetes.io/part-of", None),
        ("example.com/max-tokens", None),
        ("topology-key", None),
    ],
)
def test_credential_words_in_keys(key: str, word: str | None) -> None:
    assert credential_word(key) == word


def test_looks_like_credential() -> None:
    assert looks_like_credential("Bearer abcdefghij0123456789") == "bearer token"
    assert looks_like_credential("NVIDIA-H100-80GB-HBM3") is None


_SECRET = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=12, max_size=40)
_TEMPLATES = (
    "Authorization: Bearer {}",
    "password={}",
    'config {{"client_secret": "{}"}}',
    "https://user:{}@registry.example.com/v2/",
    "run --api-key {} --port 8000",
    "API_TOKEN: {}",
    "-----BEGIN EC PRIVATE KEY-----\n{}\n-----END EC PRIVATE KEY-----",
)


@settings(max_examples=200, deadline=None)
@given(secret=_SECRET, template=st.sampled_from(_TEMPLATES), before=st.text(max_size=30), after=st.text(max_size=30))
def test_secrets_in_known_shapes_never_survive(secret: str, template: str, before: str, after: str) -> None:
    assume(secret not in before and secret not in after)
    line = f"{before}\n{template.format(secret)}\n{after}"
    out, found = scrub_log(line, "f.log")
    assert secret not in out
    assert found and secret not in repr(found)
    assert out.count("\n") == line.count("\n")
