"""Text for people at a terminal: one answer (resolve, plan, compare, host), a fleet
check, a workload check; fitted to the width, untrusted text escaped."""
