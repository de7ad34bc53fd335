"""Figures of the jobs' results. Each function returns the matplotlib Figure, for tests to inspect; the caller
saves it (:func:`solvers.figures.save_figure`, atomic)."""
