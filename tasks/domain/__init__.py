"""The tasks domain: projects and tasks as pure deciders (no Django imports)."""
