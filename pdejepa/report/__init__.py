"""Tables of the jobs' results in Markdown (mean +- std over seeds); the figures are in :mod:`pdejepa.figures`."""
