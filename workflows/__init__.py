"""Pure decisions over plain data: policy rules, lifecycles, scoring."""
