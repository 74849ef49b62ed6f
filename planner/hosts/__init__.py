"""Hosts: their records, host profiles and their schema, the inventories hosts produce
(kubectl, docker info, podman info, recognised by content), and this machine."""
