"""Platform connectors: the only code that talks to social platforms."""
