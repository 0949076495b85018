"""Every function of Microsoft's reference; importing this package fills registry.FUNCTIONS."""

from . import dates, lists, logic, replace, text

__all__ = ["dates", "lists", "logic", "replace", "text"]
