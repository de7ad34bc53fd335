"""A Burgers pretraining and regression that run in seconds on a CPU (overrides for the learning jobs)."""

TINY = [
    "data.num_train=24",
    "data.num_test=8",
    "data.simulation={nx: 128, nt: 41, t_end: 1.6, params: {nu: [0.2, 0.5]}}",
    "pretrain.window=[16, 32]",
    "pretrain.width=4",
    "pretrain.expander=[32, 32]",
    "pretrain.epochs=1",
    "pretrain.batch_size=8",
    "pretrain.accelerator=cpu",
    "regress.budgets=[0.5]",
    "regress.seeds=[0]",
    "regress.steps=3",
    "regress.batch_size=4",
]
