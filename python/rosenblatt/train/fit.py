"""fit: the training loop (train, validate, schedule, stop early, checkpoint, resume, plot).

One epoch, as in PyTorch::

    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        clip_grad_norm_(params, grad_clip)      # with grad_clip
        optimizer.step()
        scheduler.step()                         # with scheduler_step="batch"
    evaluate(model, val_loader)                  # eval mode, under no_grad
    scheduler.step()                             # with scheduler_step="epoch"

Resuming: a checkpoint written at the end of epoch k holds the model, the
optimizer, the scheduler, the library RNG state (which DataLoader shuffling
and dropout draw from), a loader's own generator, the history and the early
stopping state, so ``fit(..., resume=path)`` continues with epoch k + 1 and
ends with exactly the weights of the uninterrupted run.
"""

from __future__ import annotations

import math
import numbers
import time

import numpy as np

from rosenblatt.optim.clip import clip_grad_norm_
from rosenblatt.train.checkpoint import load_checkpoint, save_checkpoint
from rosenblatt.train.early_stopping import EarlyStopping
from rosenblatt.train.evaluate import (
    RunningMeans,
    batch_size_of,
    evaluate_resolved,
    resolve_metrics,
    split_batch,
)
from rosenblatt.train.history import History
from rosenblatt.train.plots import plot_history
from rosenblatt.train.progress import EpochProgress

__all__ = ["fit"]

_BEST = "best."  # prefix of the early-stopping best weights among a checkpoint's extra arrays


def fit(model, loss_fn, optimizer, train_loader, val_loader=None, *, epochs: int = 10,
        scheduler=None, metrics="auto", early_stopping=None, checkpoint=None, resume=None,
        progress: bool = True, plot=None, grad_clip: float | None = None,
        scheduler_step: str = "epoch") -> History:
    """Train ``model`` for ``epochs`` epochs and return its :class:`History`.

    Parameters
    ----------
    model : a Module; ``model(x)`` gives the outputs passed to ``loss_fn``.
    loss_fn : ``loss_fn(output, target) -> scalar Tensor`` (a mean over the batch).
    optimizer : a :mod:`rosenblatt.optim` optimizer over the model's parameters.
    train_loader, val_loader : iterables of ``(x, y)`` batches (DataLoaders).
    epochs : the total number of epochs (a resumed run counts those already done).
    scheduler : a learning-rate scheduler, stepped once per epoch or per batch
        (``scheduler_step="epoch"`` or ``"batch"``).
    metrics : names (``"accuracy"``, ``"mse"``, ``"top5_accuracy"``), callables
        ``fn(output, target) -> float``, None, or ``"auto"``: accuracy for
        integer targets, mse for floating-point ones.
    early_stopping : None, a patience (int), or an :class:`EarlyStopping`
        (monitor, mode, min_delta, restore_best).
    checkpoint : a path; a checkpoint is saved there (atomically) after every epoch.
    resume : a checkpoint path to continue from.
    progress : show a tqdm bar per epoch on a terminal, a plain line per epoch
        elsewhere; False prints nothing.
    plot : a PNG path for the loss/metric curves (needs matplotlib).
    grad_clip : clip the gradients' total 2-norm to this value before each step.

    Raises FloatingPointError when the training loss becomes NaN or infinite.
    """
    epochs = _check_epochs(epochs)
    if scheduler_step not in ("epoch", "batch"):
        raise ValueError(f"scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
    if grad_clip is not None and (isinstance(grad_clip, bool) or not isinstance(grad_clip, numbers.Real)
                                  or not 0 < grad_clip < math.inf):
        raise ValueError(f"grad_clip must be a finite number > 0, got {grad_clip!r}")
    early = _early_stopping(early_stopping, has_validation=val_loader is not None)
    params = [p for group in optimizer.param_groups for p in group["params"]]

    history, done, stopped = History(), 0, False
    if resume is not None:
        history, done, stopped = _resume(resume, model, optimizer, scheduler, train_loader, early)
    resolved = None

    def metrics_for(target) -> list:
        """The metrics as [(name, fn)], chosen once from the first batch's targets."""
        nonlocal resolved
        if resolved is None:
            resolved = resolve_metrics(metrics, target)
        return resolved

    for epoch in range(done + 1, epochs + 1):
        if stopped:
            break
        lr = float(optimizer.param_groups[0]["lr"])
        start = time.perf_counter()
        bar = EpochProgress(progress, epoch, epochs, _length(train_loader))
        try:
            running = _train_epoch(model, loss_fn, optimizer, train_loader, bar, epoch, metrics_for,
                                   scheduler if scheduler_step == "batch" else None, params, grad_clip)
        except BaseException:
            bar.abort()
            raise
        train_seconds = time.perf_counter() - start
        row = {"epoch": epoch, **running.means()}
        if val_loader is not None:
            results = evaluate_resolved(model, val_loader, loss_fn, metrics_for)
            row.update((f"val_{name}", value) for name, value in results.items())
        if scheduler is not None and scheduler_step == "epoch":
            scheduler.step()
        row.update(lr=lr, seconds=time.perf_counter() - start,
                   samples_per_s=running.samples / train_seconds)
        history.append(row)
        if early is not None:
            stopped = early.update(epoch, row, model)
            history.best_epoch = early.best_epoch
            if stopped:
                history.stopped_epoch = epoch
        if checkpoint is not None:
            _save(checkpoint, model, optimizer, scheduler, epoch, history, early, stopped, train_loader)
        bar.close(row)
    if early is not None:
        early.restore(model)
    if plot is not None and history.epochs:
        plot_history(history, plot)
    return history


def _train_epoch(model, loss_fn, optimizer, loader, bar, epoch, metrics_for, batch_scheduler, params,
                 grad_clip) -> RunningMeans:
    """One pass over ``loader`` (the loop of the module docstring); returns the running means."""
    model.train()
    running = None
    start = time.perf_counter()
    for index, batch in enumerate(loader):
        x, y = split_batch(batch)
        if running is None:
            running = RunningMeans(metrics_for(y))
        optimizer.zero_grad()
        output = model(x)
        loss = loss_fn(output, y)
        value = float(loss.item())
        if not math.isfinite(value):  # stop before the update spreads it into the weights
            raise FloatingPointError(f"the training loss became {value} at epoch {epoch}, batch "
                                     f"{index + 1}; lower the learning rate or set grad_clip")
        loss.backward()
        if grad_clip is not None:
            clip_grad_norm_(params, grad_clip)
        optimizer.step()
        if batch_scheduler is not None:
            batch_scheduler.step()
        running.add(batch_size_of(x), output, y, value)
        bar.update(running.means(), running.samples / (time.perf_counter() - start))
    if running is None:
        raise ValueError("train_loader yielded no batches")
    return running


def _check_epochs(epochs) -> int:
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    return int(epochs)


def _length(loader) -> int | None:
    try:
        return len(loader)
    except TypeError:
        return None


def _early_stopping(early_stopping, has_validation: bool) -> EarlyStopping | None:
    """A fresh EarlyStopping with the caller's settings (their object keeps no run state)."""
    if early_stopping is None:
        return None
    if isinstance(early_stopping, EarlyStopping):
        early = EarlyStopping(patience=early_stopping.patience, monitor=early_stopping.monitor,
                              mode=early_stopping.mode, min_delta=early_stopping.min_delta,
                              restore_best=early_stopping.restore_best)
    elif isinstance(early_stopping, numbers.Integral) and not isinstance(early_stopping, bool):
        early = EarlyStopping(patience=int(early_stopping))
    else:
        raise TypeError(f"early_stopping must be None, a patience (int) or an EarlyStopping, "
                        f"got {type(early_stopping).__name__}")
    early.resolve(has_validation)
    return early


def _loader_generator(loader) -> np.random.Generator | None:
    generator = getattr(loader, "generator", None)
    return generator if isinstance(generator, np.random.Generator) else None


def _save(path, model, optimizer, scheduler, epoch, history, early, stopped, loader) -> None:
    generator = _loader_generator(loader)
    extra = {"history": history.to_dict(), "stopped": stopped,
             "early_stopping": early.state() if early is not None else None,
             "loader_rng": generator.bit_generator.state if generator is not None else None}
    best = early.best_state if early is not None and early.best_state is not None else {}
    save_checkpoint(path, model, optimizer, scheduler, epoch=epoch, extra=extra,
                    arrays={_BEST + name: array for name, array in best.items()})


def _resume(path, model, optimizer, scheduler, loader, early) -> tuple[History, int, bool]:
    """Load a checkpoint written by fit; return (history so far, epochs done, stopped early)."""
    state = load_checkpoint(path, model, optimizer, scheduler)
    done, extra = state["epoch"], state["extra"] or {}
    if isinstance(done, bool) or not isinstance(done, int) or done < 0:
        raise ValueError(f"checkpoint {path!r} has no epoch count to resume from (epoch={done!r})")
    history = History.from_dict(extra["history"]) if "history" in extra else History()
    if early is not None and extra.get("early_stopping"):
        best = {k[len(_BEST):]: v for k, v in state["arrays"].items() if k.startswith(_BEST)}
        early.load_state(extra["early_stopping"], best)
    generator = _loader_generator(loader)
    if generator is not None and extra.get("loader_rng"):
        generator.bit_generator.state = extra["loader_rng"]
    return history, done, bool(extra.get("stopped"))
