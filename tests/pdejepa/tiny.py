"""A Burgers pretraining and regression that run in seconds on a CPU (overrides for the learning jobs)."""

TINY = [
    "data.num_train=24",
    "data.num_test=8",
    "data.simulation={nx: 128, nt: 41, t_end: 1.6, params: {nu: [0.2, 0.5]}}",
    "pretrain.window=[16, 32]",
    "pretrain.width=4",
    "pretrain.vicreg.expander=[32, 32]",
    "pretrain.epochs=1",
    "pretrain.batch_size=8",
    "pretrain.accelerator=cpu",
    "regress.budgets=[0.5]",
    "regress.seeds=[0]",
    "regress.steps=3",
    "regress.batch_size=4",
]

# 2D smoke in seconds: 8 / 4 / 4 trajectories (train, test, valid) of 16 x 16 cells, 6 frames
SMOKE_DATA = [
    "data.num_train=8",
    "data.num_test=4",
    "data.num_valid=4",
    "data.simulation={nx: 16, ny: 16, nt: 6, skip_nt: 0}",
]
# one budget, one seed, two supervised steps
QUICK_REGRESS = ["regress.budgets=[1.0]", "regress.seeds=[0]", "regress.steps=2", "regress.batch_size=4"]
