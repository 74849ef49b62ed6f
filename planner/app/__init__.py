"""What the tool does, as a library: resolve, plan, fleet checks, host profiles."""
