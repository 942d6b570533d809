"""Neural networks: encoders (one factory: ``make_encoder``), heads, the autoencoder and the opponent LSTM, built from
plain shapes (this package knows nothing of gymnasium or the envs)."""

from nets.autoencoder import AutoencoderConfig, ConvAutoencoder, ConvEncoder, FrozenLatentFeatures
from nets.encoders import ENCODER_KINDS, CNNEncoder, MLPEncoder, make_encoder
from nets.heads import CategoricalHead, GaussianHead, QHead, ValueHead
from nets.opponent_model import OpponentLSTM

__all__ = ["ENCODER_KINDS", "AutoencoderConfig", "CNNEncoder", "CategoricalHead", "ConvAutoencoder", "ConvEncoder",
           "FrozenLatentFeatures", "GaussianHead", "MLPEncoder", "OpponentLSTM", "QHead", "ValueHead", "make_encoder"]
