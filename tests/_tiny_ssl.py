"""Tiny randomly initialised speech models (wav2vec 2.0, HuBERT, WavLM) saved to folders.

They stand in for downloaded checkpoints: the same architectures and the standard
convolutional front end (7 layers, stride 320, 400-sample receptive field, 16 kHz), with a
hidden size of 32 and 2 transformer layers, so that tests run in seconds and never need the
network.
"""

from __future__ import annotations

import os

# Three variants cover the code paths: wav2vec2-base (group norm: no attention mask),
# HuBERT-large style (layer norm with mask, stable layer norm: a final norm after the last
# layer) and WavLM (layer norm with mask, relative position bias).
KINDS = {
    "wav2vec2": ("Wav2Vec2Config", "Wav2Vec2Model",
                 dict(feat_extract_norm="group", do_stable_layer_norm=False), True),
    "hubert": ("HubertConfig", "HubertModel",
               dict(feat_extract_norm="layer", do_stable_layer_norm=True), True),
    "wavlm": ("WavLMConfig", "WavLMModel",
              dict(feat_extract_norm="layer", do_stable_layer_norm=False, num_buckets=16,
                   max_bucket_distance=100), False),
}


def save_tiny_model(kind, folder, seed=0):
    """Build the tiny model ``kind`` with seeded random weights and save it to ``folder``."""
    import torch
    import transformers

    config_name, model_name, extra, do_normalize = KINDS[kind]
    config = getattr(transformers, config_name)(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=48,
        conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
        **extra,
    )
    torch.manual_seed(seed)
    model = getattr(transformers, model_name)(config).eval()
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder)
    transformers.Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=do_normalize,
        return_attention_mask=extra["feat_extract_norm"] == "layer",
    ).save_pretrained(folder)
    return folder
