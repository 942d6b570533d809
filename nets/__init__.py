"""Neural networks: encoders and heads, built from plain shapes (this package knows nothing of gymnasium)."""

from nets.autoencoder import AutoencoderConfig, ConvAutoencoder, ConvEncoder, FrozenLatentFeatures
from nets.encoders import CNNEncoder, MLPEncoder, make_encoder
from nets.heads import CategoricalHead, GaussianHead, QHead, ValueHead
from nets.opponent_model import OpponentLSTM

__all__ = ["AutoencoderConfig", "CNNEncoder", "ConvAutoencoder", "ConvEncoder", "FrozenLatentFeatures", "MLPEncoder",
           "make_encoder", "QHead", "CategoricalHead", "GaussianHead", "ValueHead", "OpponentLSTM"]
