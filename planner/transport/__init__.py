"""Talking to registries: the Distribution API over httpx, with auth, cache and stats.

:mod:`~planner.transport.client` (and so httpx) is imported only when a SOURCE
is a registry reference; :mod:`~planner.transport.options` and
:mod:`~planner.transport.credentials` are plain values and import no HTTP code.
"""
