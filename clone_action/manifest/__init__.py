"""Manifest patching: manifest-set rules -> a plan over the manifest files -> all-or-nothing writes.

rules (PATH=VALUE) and tree (where a PATH resolves) feed one Document per format (yaml_file,
json_file, dotenv_file); files finds the manifest files, plan applies the rules in memory, write
writes them. Nothing here imports ruamel.yaml until a YAML file is parsed.
"""

from .files import UNSUPPORTED, FileChange
from .plan import plan_patch
from .rules import PLACEHOLDERS, Rule, parse_rules, placeholder_values
from .tree import Every, Index, Key, Match, Step
from .write import apply_patch, diff

__all__ = [
    "PLACEHOLDERS",
    "UNSUPPORTED",
    "Every",
    "FileChange",
    "Index",
    "Key",
    "Match",
    "Rule",
    "Step",
    "apply_patch",
    "diff",
    "parse_rules",
    "placeholder_values",
    "plan_patch",
]
