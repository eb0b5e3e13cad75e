"""The application layer: plain functions the pages and the command line both call.

This is the one place that composes the domain modules (store, plan, scenarios,
flow, ingest …) into what a screen or a command shows: places with their
systems' populations, the planning years worth offering, the scenario choices,
the plan for a view with the "this scenario can't apply" policy, the flow
inputs for a view, data-quality summaries and what the Data page lists.
Functions take a :class:`~capacity.store.Store` or a database path and plain
values, and return DataFrames or dataclasses. Nothing here caches: caching
stays at the app edge (``pages/``).
"""
