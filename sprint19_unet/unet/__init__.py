"""The model: the U-Net in the paper's words.

* :mod:`~sprint19_unet.unet.parts` — the paper's parts: ``contracting_block``, ``bottleneck``,
  ``up_conv``, ``copy_and_crop``, ``expanding_block``, ``output_head``.
* :mod:`~sprint19_unet.unet.model` — ``build_unet`` assembles them; ``paper_unet`` is Figure 1.
* :mod:`~sprint19_unet.unet.encoders` — the same expanding path on a pretrained VGG16/ResNet50.
* :mod:`~sprint19_unet.unet.sizes` — which tile sizes an unpadded U-Net accepts (572 → 388).
* :mod:`~sprint19_unet.unet.flops` — the compute a U-Net costs per image.
* :mod:`~sprint19_unet.unet.transposed` — transposed convolution explained in NumPy.

Imports point one way through the package: unet ← data ← training ← estimation ← teaching ← cli.
"""
