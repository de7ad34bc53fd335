"""Encoders and heads."""

from .film_convnet import FiLMConvNet
from .latent_predictor import LatentPredictor, MapPredictor
from .map_encoder import MapEncoder
from .pos_embed import sincos, sincos_1d, sincos_2d, sincos_3d, split_3d
from .predictor import Predictor
from .resnet import ResNet, resnet
from .vit import VIT_SIZES, Block, PooledEncoder, VisionTransformer, gather_tokens, vit

__all__ = [
    "VIT_SIZES",
    "Block",
    "FiLMConvNet",
    "LatentPredictor",
    "MapEncoder",
    "MapPredictor",
    "PooledEncoder",
    "Predictor",
    "ResNet",
    "VisionTransformer",
    "gather_tokens",
    "resnet",
    "sincos",
    "sincos_1d",
    "sincos_2d",
    "sincos_3d",
    "split_3d",
    "vit",
]
