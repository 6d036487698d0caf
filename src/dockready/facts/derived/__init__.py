"""Derived facts: what rules and ``generate/`` both conclude from the parsed facts
(one home for each predicate and table they share)."""
