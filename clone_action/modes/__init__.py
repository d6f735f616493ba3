"""The action's modes: each plans first, then executes."""
