"""The HTML report: a neutral matrix, the page, its assets, and the fleet and workload
adapters."""
