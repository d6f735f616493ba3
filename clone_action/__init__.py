"""aurora-clone-action: a copy-on-write Aurora clone for every pull request."""

__version__ = "1.0.0"
