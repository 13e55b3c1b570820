"""The part a layer plays in the method, and a layer's identity: its name and role."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["LayerSpec", "Role"]


class Role(str, Enum):
    """The part a layer plays in the method (docs/method.md, Layers)."""

    CORE = "core"
    THETA_ANCHOR = "L1_theta_anchor"
    DELTA_OVERLAY = "L2_delta_overlay"
    ADAPTIVE = "L3_adaptive"
    INTERMEDIATE = "intermediate"
    OUTER = "outer"
    CUSTOM = "custom"

    @property
    def is_hedge(self) -> bool:
        return self is not Role.CORE


@dataclass(frozen=True)
class LayerSpec:
    """A layer's identity without its legs."""

    name: str
    role: Role
