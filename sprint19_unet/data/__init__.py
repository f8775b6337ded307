"""The data: from files (or a generator) to the arrays and tiles the model sees.

* :mod:`~sprint19_unet.data.datasets` — ``load_dataset``, the one loader every command uses; it
  finds the layout and describes the data.
* :mod:`~sprint19_unet.data.layouts` — the layouts, one registered class each (how to recognise, how to load).
* :mod:`~sprint19_unet.data.formats` — ``SegmentationData`` and the readers/writers of each layout.
* :mod:`~sprint19_unet.data.images`, :mod:`~sprint19_unet.data.rle` — one image file; one RLE mask.
* :mod:`~sprint19_unet.data.download` — the real Kaggle TGS Salt data in one call (Kaggle's own client).
* :mod:`~sprint19_unet.data.synthetic_salt`, :mod:`~sprint19_unet.data.synthetic_scenes` — generated
  TGS-like salt images; multi-class street scenes (one generator per image:
  :mod:`~sprint19_unet.data.synthetic_seeds`).
* :mod:`~sprint19_unet.data.prepare` — padding, cropping, mirroring, resizing, splits.
* :mod:`~sprint19_unet.data.input_spec` — how images meet the model: tiles, overlap-tile, scale.
* :mod:`~sprint19_unet.data.augment` — flips, elastic deformation, intensity changes.
* :mod:`~sprint19_unet.data.weight_map` — the paper's Eq. 2 weight map.
"""
