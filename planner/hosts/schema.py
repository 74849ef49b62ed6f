"""The JSON Schema of host profile files (``pull-planner schema hosts``), for editors.

The reader (:mod:`planner.hosts.profiles`) is the authority; this schema describes
the same keys so that an editor can complete and check them as they are typed.
"""

from __future__ import annotations

from typing import Any

__all__ = ["HOSTS_SCHEMA"]

_TAINT: dict[str, Any] = {
    "oneOf": [
        {
            "type": "string",
            "pattern": r"^[^=:\s]+(=[^:\s]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$",
            "description": "key[=value]:Effect, as kubectl taint writes it",
            "examples": ["nvidia.com/gpu=present:NoSchedule"],
        },
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["key", "effect"],
            "properties": {
                "key": {"type": "string", "minLength": 1},
                "value": {"type": "string"},
                "effect": {"enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
            },
        },
    ]
}

_PLATFORM_FIELDS: dict[str, Any] = {
    "platform": {
        "type": "string",
        "description": "os/arch[/variant] (Docker's platform syntax) or os(osversion+feature)/arch[/variant] (containerd)",
        "examples": [
            "linux/amd64/v3",
            "linux/arm/v6",
            "windows/amd64",
            "windows(10.0.20348)/amd64",
        ],
    },
    "os": {"type": "string", "examples": ["linux", "windows"]},
    "architecture": {"type": "string", "examples": ["amd64", "arm64", "arm", "386", "ppc64le"]},
    "variant": {"type": "string", "examples": ["v3", "v8", "v7", "v6"]},
    "os.version": {
        "type": "string",
        "description": "Windows build: major.minor.build[.revision]",
        "examples": ["10.0.17763.5936", "10.0.20348.1"],
    },
    "os.features": {"type": "array", "items": {"type": "string"}, "examples": [["win32k"]]},
    "rules": {
        "type": "string",
        "description": "rule set: a family (docker, containerd, podman, ...), NAME@RELEASE, an alias, or a rule file relative to this file",
        "examples": ["docker", "containerd@1.7.20", "docker-c8d@27.4.0", "podman@4.9.4"],
    },
    "isolation": {
        "enum": ["process", "hyperv"],
        "description": "Windows hosts only; hyperv runs older Windows builds too",
    },
    "have": {
        "description": "images already on the host (SOURCE strings), resolved for the same host",
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    },
    "labels": {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "free-form labels, to select hosts by",
    },
    "taints": {
        "type": "array",
        "items": _TAINT,
        "description": "Kubernetes-style taints, kept for schedulers",
    },
    "registry_config": {
        "type": "string",
        "minLength": 1,
        "description": "where the host pulls from: a containerd hosts directory, a registries.conf"
        " (with registries.conf.d), a daemon.json or a k3s registries.yaml, relative to this file;"
        " in defaults it also applies to included hosts",
        "examples": ["certs.d", "registries.conf", "daemon.json", "registries.yaml"],
    },
    "egress": {
        "type": "string",
        "minLength": 1,
        "description": "the network exit the host's pulls leave by (a NAT address a registry's"
        " rate limit counts as one client); the rollout cost is grouped by it; in defaults it"
        " also applies to included hosts",
        "examples": ["nat-a"],
    },
}

HOSTS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://pull-planner.invalid/schema/hosts.json",
    "title": "pull-planner host profiles",
    "type": "object",
    "additionalProperties": False,
    "anyOf": [{"required": ["hosts"]}, {"required": ["include"]}],
    "properties": {
        "include": {
            "description": "other inventories (host profiles, kubectl get nodes, docker info or podman info output), relative to this file; their hosts appear where this key stands",
            "oneOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
            ],
        },
        "defaults": {
            "type": "object",
            "additionalProperties": False,
            "properties": _PLATFORM_FIELDS,
        },
        "hosts": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {"name": {"type": "string", "minLength": 1}, **_PLATFORM_FIELDS},
                "not": {"required": ["platform", "os"]},
            },
        },
    },
}
