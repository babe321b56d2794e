"""Training: the fit loop, evaluation, metrics, checkpoints and training curves.

``rb.train.fit(model, loss_fn, optimizer, train_loader, val_loader, epochs=...)``
trains with a tqdm progress bar, validation, optional early stopping,
per-epoch checkpoints and resuming, and returns a :class:`History`.
Checkpoints are single safetensors files written atomically
(:func:`save_checkpoint` / :func:`load_checkpoint`); :func:`plot_history`
draws the loss and accuracy curves and :func:`plot_curves` any
per-epoch curves (with matplotlib).
"""

from rosenblatt.train.checkpoint import load_checkpoint, save_checkpoint
from rosenblatt.train.early_stopping import EarlyStopping
from rosenblatt.train.evaluate import evaluate
from rosenblatt.train.fit import fit
from rosenblatt.train.history import History
from rosenblatt.train.metrics import (
    accuracy,
    confusion_matrix,
    mean_squared_error,
    predicted_classes,
    top_k_accuracy,
)
from rosenblatt.train.plots import plot_curves, plot_history

__all__ = [
    "EarlyStopping",
    "History",
    "accuracy",
    "confusion_matrix",
    "evaluate",
    "fit",
    "load_checkpoint",
    "mean_squared_error",
    "plot_curves",
    "plot_history",
    "predicted_classes",
    "save_checkpoint",
    "top_k_accuracy",
]
