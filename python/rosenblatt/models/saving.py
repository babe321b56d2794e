"""Saving a text model with what rebuilds it: constructor arguments (vocabularies included) and weights.

A model that mixes in :class:`SavableModel` and sets ``self.config`` (a dict
of its constructor's keyword arguments; vocabularies under keys ending in
``vocab``) is written by :meth:`SavableModel.save` as one safetensors
checkpoint (:func:`rosenblatt.train.save_checkpoint`) whose JSON metadata
holds the class name and the config, and :meth:`SavableModel.load` rebuilds
the model from a checkpoint and loads its weights. Loading never runs code
from the file.
"""

from __future__ import annotations

from rosenblatt.text.vocab import Vocab, vocab_from_dict


class SavableModel:
    """``save(path)`` / ``cls.load(path)`` for models described by ``self.config``."""

    config: dict

    def save(self, path, *, epoch: int | None = None, optimizer=None) -> None:
        """Write weights, config (and ``optimizer`` and ``epoch`` if given) to ``path``, atomically."""
        from rosenblatt.train import save_checkpoint

        config = {key: value.to_dict() if isinstance(value, Vocab) else value
                  for key, value in self.config.items()}
        save_checkpoint(path, self, optimizer, epoch=epoch,
                        extra={"class": type(self).__name__, "config": config})

    @classmethod
    def load(cls, path):
        """The model saved at ``path`` by :meth:`save` (ValueError for another kind of file)."""
        from rosenblatt.train import load_checkpoint

        extra = load_checkpoint(path, restore_rng=False)["extra"]
        if not isinstance(extra, dict) or extra.get("class") != cls.__name__ \
                or not isinstance(extra.get("config"), dict):
            raise ValueError(f"{path} does not hold a saved {cls.__name__}")
        config = {key: vocab_from_dict(value) if key.endswith("vocab") else value
                  for key, value in extra["config"].items()}
        model = cls(**config)
        load_checkpoint(path, model, restore_rng=False)
        return model
