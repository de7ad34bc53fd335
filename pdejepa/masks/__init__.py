"""JEPA masks: I-JEPA 2D and V-JEPA 3D multi-block generators and the collator that applies them."""

from .collator import MaskCollator, MaskGenerator, stack_indices
from .multiblock import MultiBlock2D
from .multiblock3d import VJEPA_LONG_RANGE, VJEPA_SHORT_RANGE, MultiBlock3D, vjepa_masks

__all__ = [
    "MaskCollator",
    "MaskGenerator",
    "MultiBlock2D",
    "MultiBlock3D",
    "VJEPA_LONG_RANGE",
    "VJEPA_SHORT_RANGE",
    "stack_indices",
    "vjepa_masks",
]
