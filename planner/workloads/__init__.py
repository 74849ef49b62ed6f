"""Workloads: files (-f), Kubernetes objects and Compose services as records, where
Kubernetes may schedule them, the check on each node pool, and the suggested fix."""
