"""Talking to registries: the Distribution API over httpx, with auth, cache and stats.

Imported only when a SOURCE is a registry reference, so that offline use does
not pay for importing httpx.
"""

from planner.registry.cache import Cache, default_cache_dir
from planner.registry.client import BlobLocation, Fetched, RegistryClient, RegistryOptions
from planner.registry.credentials import Credential, CredentialStore
from planner.stats import Stats

__all__ = [
    "BlobLocation",
    "Cache",
    "Credential",
    "CredentialStore",
    "Fetched",
    "RegistryClient",
    "RegistryOptions",
    "Stats",
    "default_cache_dir",
]
