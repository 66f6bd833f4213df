"""Common Purse: the application (config, app factory, CLI, dialogue engine, services)."""
