"""Every table and figure naspred writes, one module per study, on two helpers.

- :mod:`naspred.reports.output` — :func:`~naspred.reports.output.output_dir`: a
  writer's outputs are installed as one set, so a killed or failed write leaves the
  previous complete set or the new one, never a mix;
- :mod:`naspred.reports.tables` — CSV and markdown tables;
- :mod:`naspred.reports.figures` — every figure, the only module that imports
  matplotlib (it never selects a backend);
- :mod:`naspred.reports.heatmap_layout` — what a cross-correlation heatmap shows
  (order by clustering, the lower triangle, the counts), before it is drawn;
- :mod:`~naspred.reports.correlations`, :mod:`~naspred.reports.predictors`,
  :mod:`~naspred.reports.tradeoff`, :mod:`~naspred.reports.compare`,
  :mod:`~naspred.reports.nas_loop` — each study's writer and the summaries it rests on.

Reports take DataFrames and results and an output directory; they never import
:mod:`naspred.experiments` (experiments call reports, never the reverse). Nothing
is imported here, so ``import naspred.reports.tables`` does not pull in matplotlib.
"""
