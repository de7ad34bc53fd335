"""Encoders and heads."""
from .resnet import ResNet, resnet

__all__ = ["ResNet", "resnet"]
