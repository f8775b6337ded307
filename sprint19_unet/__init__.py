"""sprint19_unet: a U-Net for teaching, read against the paper (arXiv 1505.04597).

The public names are importable from here::

    import sprint19_unet as s19
    model = s19.paper_unet()          # 572×572×1 → 388×388×2, 31,030,658 parameters
    model = s19.build_unet((128, 128, 1), base_filters=16)
"""

from sprint19_unet.errors import Sprint19Error
from sprint19_unet.model import (
    bottleneck,
    build_unet,
    contracting_block,
    copy_and_crop,
    count_conv_layers,
    expanding_block,
    output_head,
    paper_unet,
    up_conv,
)
from sprint19_unet.sizes import (
    input_size_for_output,
    is_valid_input_size,
    nearest_valid_input_sizes,
    unet_output_size,
)
from sprint19_unet.transposed import (
    conv2d_transpose,
    conv2d_transpose_by_zero_insertion,
    conv2d_transpose_output_size,
)

__version__ = "0.1.0"
