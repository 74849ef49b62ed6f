"""Reports: every result as text, JSON/YAML, JUnit, Markdown and HTML, for people and CI."""
