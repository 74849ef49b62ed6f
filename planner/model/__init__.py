"""Values: platforms, references, manifests, Windows builds, errors, units, stats, YAML with positions."""
