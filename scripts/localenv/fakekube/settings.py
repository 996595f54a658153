"""Timings that tests and the demo tune at run time (command line, or `POST /__fake/config`)."""

from dataclasses import dataclass

# JSON names used by the control API -> attribute names.
JSON_NAMES = {"podDelay": "pod_delay", "podStartDelay": "pod_start_delay", "vmStartDelay": "vm_start_delay",
              "bookmarkInterval": "bookmark_interval"}


@dataclass
class Settings:
    pod_delay: float = 2.0  # seconds from a Pod's creation to Succeeded (or Failed)
    pod_start_delay: float = 0.5  # seconds from a Pod's creation to Running
    vm_start_delay: float = 0.5  # seconds a VirtualMachineInstance spends Scheduling before it runs
    bookmark_interval: float = 1.0  # seconds between BOOKMARK events on watches that allow them

    def to_json(self):
        return {json_name: getattr(self, attr) for json_name, attr in JSON_NAMES.items()}

    def update(self, values):
        """Apply the known JSON keys of `values`; raises ValueError for an unknown key or a negative number."""
        for json_name, value in values.items():
            attr = JSON_NAMES.get(json_name)
            if attr is None:
                raise ValueError(f"unknown setting {json_name!r}")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{json_name} must be a non-negative number")
            setattr(self, attr, float(value))
