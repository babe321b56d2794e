"""Checkpoints: model, optimizer, scheduler, epoch and RNG state in ONE safetensors file.

Layout of the file (format version 1):

- tensors ``model.<name>`` (the model's state_dict), ``optim.state.<i>.<name>``
  (the optimizer's per-parameter arrays, ``i`` indexing the parameters through
  the param groups as in ``optimizer.state_dict()``) and ``extra.<name>``
  (arrays the caller adds, e.g. the best weights under early stopping);
- metadata, each a JSON string: ``format`` and ``version``, ``epoch``,
  ``model_keys`` (the state_dict's key order, which safetensors does not keep),
  ``rng_state`` (:func:`rosenblatt.random.get_rng_state`), ``optimizer``
  (its class, param groups and non-array state such as ``step``),
  ``scheduler`` (its class and state_dict) and ``extra``.

Saving is atomic (:func:`rosenblatt.train.atomic.write_atomic`): killing the
process mid-save leaves the previous checkpoint intact. Loading parses the
safetensors header and JSON only (a file never runs code), checks the file
against the model, optimizer and scheduler before changing any of them, and
raises ValueError naming the problem; if a component still rejects its state,
the ones already loaded are rolled back.
"""

from __future__ import annotations

import copy
import json
import os
from collections import OrderedDict

import numpy as np
import safetensors.numpy

from rosenblatt import random as rb_random
from rosenblatt.train.atomic import write_atomic

__all__ = ["FORMAT", "VERSION", "load_checkpoint", "save_checkpoint"]

FORMAT = "rosenblatt.checkpoint"
VERSION = 1
_PREFIXES = ("model.", "optim.state.", "extra.")


def _host(array) -> np.ndarray:
    """A C-contiguous NumPy copy of a Tensor's data or an array (CuPy arrays come to the host)."""
    data = array if isinstance(array, np.ndarray) else getattr(array, "data", array)
    if hasattr(data, "get") and not isinstance(data, np.ndarray):
        data = data.get()
    # not np.ascontiguousarray: it turns a 0-d array (BatchNorm's num_batches_tracked) into shape (1,)
    return np.require(data, requirements="C")


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def _dumps(value, what: str) -> str:
    try:
        return json.dumps(value, default=_json_default)
    except (TypeError, ValueError) as error:
        raise TypeError(f"cannot save the {what} in a checkpoint: {error}") from None


# -- saving --------------------------------------------------------------------
def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch: int | None = None,
                    extra=None, arrays: dict | None = None) -> None:
    """Write ``model``'s state (and optionally the optimizer's, the scheduler's, ``epoch``,
    JSON-serializable ``extra`` and a dict of named ``arrays``) with the library RNG state
    to ``path``, atomically.
    """
    tensors: dict[str, np.ndarray] = {}
    for name, value in model.state_dict().items():
        tensors[f"model.{name}"] = _host(value)
    metadata = {"format": FORMAT, "version": str(VERSION), "epoch": _dumps(epoch, "epoch"),
                "model_keys": _dumps([k[len("model."):] for k in tensors], "model keys"),
                "rng_state": _dumps(rb_random.get_rng_state(), "RNG state"),
                "extra": _dumps(extra, "extra data")}
    if optimizer is not None:
        state = optimizer.state_dict()
        scalars: dict[str, dict] = {}
        for index, entries in state["state"].items():
            for key, value in entries.items():
                if isinstance(value, (int, float, bool, np.generic)) or value is None:
                    scalars.setdefault(str(index), {})[key] = value
                else:
                    tensors[f"optim.state.{index}.{key}"] = _host(value)
        metadata["optimizer"] = _dumps({"class": type(optimizer).__name__,
                                        "param_groups": state["param_groups"],
                                        "scalars": scalars}, "optimizer's param groups")
    if scheduler is not None:
        metadata["scheduler"] = _dumps({"class": type(scheduler).__name__,
                                        "state": scheduler.state_dict()}, "scheduler's state")
    for name, value in (arrays or {}).items():
        tensors[f"extra.{name}"] = _host(value)
    write_atomic(path, safetensors.numpy.save(tensors, metadata=metadata))


# -- reading -------------------------------------------------------------------
def _read(path) -> tuple[dict, dict]:
    """The tensors and the decoded metadata of a checkpoint file; ValueError if it is not one."""
    with open(path, "rb") as file:
        data = file.read()
    where = f"checkpoint {os.fspath(path)!r}"
    if len(data) < 8:
        raise ValueError(f"{where} is truncated or not a safetensors file ({len(data)} bytes)")
    header_size = int.from_bytes(data[:8], "little")
    if header_size > len(data) - 8:
        raise ValueError(f"{where} is truncated or corrupt: its header claims {header_size} bytes, "
                         f"the file has {len(data) - 8} after the size field")
    try:
        header = json.loads(data[8:8 + header_size])
        tensors = safetensors.numpy.load(data)
    except Exception as error:  # the parser's own error type; the message says what is wrong
        raise ValueError(f"{where} is truncated or corrupt: {error}") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ValueError(f"{where} is a safetensors file but not a rosenblatt checkpoint "
                         f"(no format={FORMAT!r} in its metadata)")
    if metadata.get("version") != str(VERSION):
        raise ValueError(f"{where} has format version {metadata.get('version')!r}; this rosenblatt "
                         f"reads version {VERSION}")
    decoded = {}
    for key in ("epoch", "model_keys", "rng_state", "extra", "optimizer", "scheduler"):
        if key in metadata:
            try:
                decoded[key] = json.loads(metadata[key])
            except (TypeError, ValueError):
                raise ValueError(f"{where} is corrupt: its {key!r} metadata is not valid JSON") from None
    stray = sorted(k for k in tensors if not k.startswith(_PREFIXES))
    if stray:
        raise ValueError(f"{where} has tensors outside the checkpoint layout: {stray[:5]}")
    model_keys = decoded.get("model_keys")
    if not isinstance(model_keys, list) or \
            sorted(map(str, model_keys)) != sorted(k[len("model."):] for k in tensors if k.startswith("model.")):
        raise ValueError(f"{where} is corrupt: its model_keys metadata does not list its model tensors")
    return tensors, decoded


def _optimizer_state(tensors: dict, saved: dict | None, where: str) -> dict | None:
    """Rebuild ``optimizer.state_dict()``'s structure from the file's arrays and JSON."""
    arrays = {k[len("optim.state."):]: v for k, v in tensors.items() if k.startswith("optim.state.")}
    if saved is None:
        if arrays:
            raise ValueError(f"{where} has optimizer arrays but no optimizer metadata")
        return None
    if not isinstance(saved, dict) or not isinstance(saved.get("param_groups"), list):
        raise ValueError(f"{where} is corrupt: its optimizer metadata has no param_groups list")
    state: dict[int, dict] = {}
    try:
        for index, entries in saved.get("scalars", {}).items():
            state.setdefault(int(index), {}).update(entries)
        for key, array in arrays.items():
            index, name = key.split(".", 1)
            state.setdefault(int(index), {})[name] = array
    except (ValueError, AttributeError):
        raise ValueError(f"{where} is corrupt: malformed optimizer state entry") from None
    return {"class": saved.get("class"), "state": state, "param_groups": saved["param_groups"]}


# -- checking against the live objects -------------------------------------------
def _check_model(model, state: dict, where: str) -> None:
    expected = {name: _host(t).shape for name, t in model.state_dict().items()}
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    misshaped = [f"{name}: checkpoint {tuple(state[name].shape)}, model {shape}"
                 for name, shape in expected.items() if name in state and tuple(state[name].shape) != shape]
    problems = []
    if missing:
        problems.append(f"missing keys {missing}")
    if unexpected:
        problems.append(f"unexpected keys {unexpected}")
    if misshaped:
        problems.append("shape mismatch for " + "; ".join(misshaped))
    if problems:
        raise ValueError(f"{where} does not fit the model ({type(model).__name__}): " + ", ".join(problems))


def _check_optimizer(optimizer, state: dict | None, where: str) -> dict:
    if state is None:
        raise ValueError(f"{where} holds no optimizer state")
    if state["class"] != type(optimizer).__name__:
        raise ValueError(f"{where} holds {state['class']} state; the optimizer is {type(optimizer).__name__}")
    groups = state["param_groups"]
    if len(groups) != len(optimizer.param_groups):
        raise ValueError(f"{where} has {len(groups)} parameter groups; the optimizer has "
                         f"{len(optimizer.param_groups)}")
    for i, (saved, group) in enumerate(zip(groups, optimizer.param_groups)):
        size = len(saved.get("params", ())) if isinstance(saved, dict) else None
        if size != len(group["params"]):
            raise ValueError(f"{where}: parameter group {i} has {size} parameters in the checkpoint, "
                             f"{len(group['params'])} in the optimizer")
    params = [p for group in optimizer.param_groups for p in group["params"]]
    restored = []
    for saved, group in zip(groups, optimizer.param_groups):
        # JSON turned tuples (Adam's betas) into lists: give options back the live group's types.
        restored.append({key: tuple(value) if isinstance(group.get(key), tuple) and isinstance(value, list)
                         else value for key, value in saved.items()})
    for index, entries in state["state"].items():
        if not 0 <= index < len(params):
            raise ValueError(f"{where} has optimizer state for parameter {index}; the optimizer has "
                             f"{len(params)} parameters")
        for name, value in entries.items():
            if isinstance(value, np.ndarray) and value.shape != params[index].data.shape:
                raise ValueError(f"{where}: optimizer state {name!r} of parameter {index} has shape "
                                 f"{value.shape}, the parameter has {params[index].data.shape}")
    return {"state": state["state"], "param_groups": restored}


def _check_scheduler(scheduler, saved: dict | None, where: str) -> dict:
    if not isinstance(saved, dict) or not isinstance(saved.get("state"), dict):
        raise ValueError(f"{where} holds no scheduler state")
    if saved.get("class") != type(scheduler).__name__:
        raise ValueError(f"{where} holds {saved.get('class')} state; the scheduler is "
                         f"{type(scheduler).__name__}")
    expected, got = set(scheduler.state_dict()), set(saved["state"])
    if expected != got:
        raise ValueError(f"{where}: the scheduler state has keys {sorted(got)}, "
                         f"{type(scheduler).__name__} expects {sorted(expected)}")
    return saved["state"]


# -- loading -------------------------------------------------------------------
def load_checkpoint(path, model=None, optimizer=None, scheduler=None, *,
                    restore_rng: bool | None = None) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` and load it into the objects given.

    Everything is checked before anything changes: a truncated, corrupt or
    foreign file, missing/unexpected/misshaped model keys, or optimizer or
    scheduler state of another kind raise ValueError, and the model,
    optimizer, scheduler and RNG keep their state. ``restore_rng`` (default:
    True when a model is given) sets the library generator to the saved state.

    Returns a dict with ``epoch``, ``extra``, ``arrays`` (the extra arrays),
    ``model_state`` (an OrderedDict of arrays), ``optimizer_state``,
    ``scheduler_state`` and ``rng_state`` as stored.
    """
    where = f"checkpoint {os.fspath(path)!r}"
    tensors, meta = _read(path)
    model_state = OrderedDict((name, tensors[f"model.{name}"]) for name in meta["model_keys"])
    optimizer_state = _optimizer_state(tensors, meta.get("optimizer"), where)
    rng_state = meta.get("rng_state")
    if restore_rng is None:
        restore_rng = model is not None

    applies = []  # (load, snapshot-restore) pairs, run only after every check passed
    if model is not None:
        _check_model(model, model_state, where)
        applies.append((lambda: model.load_state_dict(model_state), _snapshot_model(model)))
    if optimizer is not None:
        checked = _check_optimizer(optimizer, optimizer_state, where)
        applies.append((lambda: optimizer.load_state_dict(checked), _snapshot(optimizer)))
    if scheduler is not None:
        scheduler_state = _check_scheduler(scheduler, meta.get("scheduler"), where)
        applies.append((lambda: scheduler.load_state_dict(copy.deepcopy(scheduler_state)),
                        _snapshot(scheduler)))
    if restore_rng:
        if not isinstance(rng_state, dict):
            raise ValueError(f"{where} holds no RNG state")
        saved_rng = rb_random.get_rng_state()
        applies.append((lambda: rb_random.set_rng_state(rng_state),
                        lambda: rb_random.set_rng_state(saved_rng)))
    _apply_all(applies, where)
    return {"epoch": meta.get("epoch"), "extra": meta.get("extra"),
            "arrays": {k[len("extra."):]: v for k, v in tensors.items() if k.startswith("extra.")},
            "model_state": model_state, "optimizer_state": optimizer_state,
            "scheduler_state": (meta.get("scheduler") or {}).get("state"), "rng_state": rng_state}


def _snapshot_model(model):
    saved = OrderedDict((name, np.array(_host(t), copy=True)) for name, t in model.state_dict().items())
    return lambda: model.load_state_dict(saved)


def _snapshot(component):
    saved = copy.deepcopy(component.state_dict())
    return lambda: component.load_state_dict(saved)


def _apply_all(applies: list, where: str) -> None:
    """Run every load; if one fails, undo those done (in reverse) and raise (a ValueError for bad state)."""
    done = []
    for load, restore in applies:
        try:
            load()
        except Exception as error:
            for undo in reversed(done):
                undo()
            if not isinstance(error, (ValueError, TypeError, KeyError)):
                raise
            raise ValueError(f"{where} could not be loaded, nothing was changed: {error}") from error
        done.append(restore)
