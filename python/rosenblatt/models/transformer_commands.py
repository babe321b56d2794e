"""``rosenblatt train transformer | gpt``: the attention model families on generated/bundled data.

``transformer`` trains the encoder-decoder on generated date pairs and
prints its exact match on held-out dates; ``gpt`` trains the character
language model on the bundled corpus and prints its validation perplexity
(against the unigram model's) and a sample. An epoch is one pass worth of
random minibatches over the training pool (date pairs, or characters);
``--max-steps`` caps the steps for quick runs.
"""

from __future__ import annotations

import argparse
import math
import time

from rosenblatt.cli import positive_float, positive_int, probability


def _steps(args: argparse.Namespace, pool: int, per_batch: int) -> int:
    steps = max(1, math.ceil(args.epochs * pool / (args.batch_size * per_batch)))
    return steps if args.max_steps is None else min(steps, args.max_steps)


def _finish(args: argparse.Namespace, model, losses: list[float], title: str, extra) -> None:
    if args.plot:
        from rosenblatt.train.plots import plot_curves

        plot_curves(args.plot, {"training loss": losses}, xlabel="step", ylabel="cross-entropy",
                    title=title)
    if args.save:
        from rosenblatt.train import save_checkpoint

        save_checkpoint(args.save, model, epoch=args.epochs, extra=extra)


def _transformer(args: argparse.Namespace) -> int:
    import rosenblatt as rb
    from rosenblatt.cli import report
    from rosenblatt.models.transformer import DateTranslationTask, train_seq2seq

    rb.manual_seed(args.seed)
    start = time.perf_counter()
    task = DateTranslationTask(n_train=args.train_size, n_test=args.test_size, seed=args.seed)
    model = task.model(d_model=args.d_model, nhead=args.heads, num_encoder_layers=args.layers,
                       num_decoder_layers=args.layers, dim_feedforward=2 * args.d_model,
                       dropout=args.dropout)
    steps = _steps(args, len(task.src), 1)
    print(f"{len(task.train)} training pairs, {steps} steps of {args.batch_size}, "
          f"{model.num_parameters():,} parameters")
    losses = train_seq2seq(model, task.src, task.tgt, steps=steps, batch_size=args.batch_size,
                           lr=args.lr, progress=True)
    exact = task.exact_match(model, beam_width=args.beam_width)
    for source, _ in task.test[:3]:
        print(f"{source!r} -> {task.translate(model, [source], args.beam_width)[0]!r}")
    _finish(args, model, losses, "Date translation transformer",
            {"src_vocab": task.src_vocab.itos, "tgt_vocab": task.tgt_vocab.itos})
    report(args, model="transformer", dataset="dates", epochs=args.epochs,
           test={"exact_match": round(exact, 4)}, seconds=time.perf_counter() - start)
    return 0


def _gpt(args: argparse.Namespace) -> int:
    import rosenblatt as rb
    from rosenblatt.cli import report
    from rosenblatt.models.gpt import GPT, CharLMTask

    rb.manual_seed(args.seed)
    start = time.perf_counter()
    task = CharLMTask()
    model = GPT(len(task.vocab), block_size=args.block_size, d_model=args.d_model,
                nhead=args.heads, num_layers=args.layers, dropout=args.dropout)
    steps = _steps(args, len(task.train), args.block_size)
    print(f"{len(task.train):,} training characters, {steps} steps of {args.batch_size} x "
          f"{args.block_size}, {model.num_parameters():,} parameters")
    losses = task.train_model(model, steps=steps, batch_size=args.batch_size, lr=args.lr,
                              progress=True)
    perplexity = task.perplexity(model)
    unigram = task.unigram_perplexity(args.block_size)
    prompt = task.validation[None, :args.block_size // 2]
    sample = model.generate(prompt, args.sample_length - prompt.shape[1] if
                            args.sample_length > prompt.shape[1] else 0, strategy="sample",
                            temperature=args.temperature, top_p=0.95, use_cache=False)
    print("sample: " + task.vocab.decode(sample[0]).replace("\n", " / "))
    _finish(args, model, losses, "Character GPT", {"vocab": task.vocab.itos})
    report(args, model="gpt", dataset="pydoc-corpus", epochs=args.epochs,
           test={"perplexity": round(perplexity, 3), "unigram_perplexity": round(unigram, 3)},
           seconds=time.perf_counter() - start)
    return 0


def register(commands, common: argparse.ArgumentParser) -> None:
    """Add the transformer and gpt subcommands of ``rosenblatt train``."""
    def add(name: str, help_text: str, run, epochs: int, lr: float, batch_size: int):
        parser = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        parser.add_argument("--epochs", type=positive_int, default=epochs,
                            help=f"passes over the training pool (default {epochs})")
        parser.add_argument("--max-steps", type=positive_int,
                            help="stop after this many steps whatever --epochs says")
        parser.add_argument("--lr", type=positive_float, default=lr,
                            help=f"peak AdamW learning rate: warmup, then cosine (default {lr})")
        parser.add_argument("--batch-size", type=positive_int, default=batch_size,
                            help=f"minibatch size (default {batch_size})")
        parser.add_argument("--d-model", type=positive_int, default=64,
                            help="model width (default 64)")
        parser.add_argument("--heads", type=positive_int, default=4,
                            help="attention heads (default 4)")
        parser.add_argument("--layers", type=positive_int, default=2,
                            help="transformer layers (per stack) (default 2)")
        parser.add_argument("--dropout", type=probability, default=0.0,
                            help="dropout rate (default 0)")
        parser.set_defaults(run=run)
        return parser

    transformer = add("transformer", "encoder-decoder transformer translating dates to ISO",
                      _transformer, 2, 3e-3, 64)
    transformer.add_argument("--train-size", type=positive_int, default=20000,
                             help="generated training pairs (default 20000)")
    transformer.add_argument("--test-size", type=positive_int, default=1000,
                             help="held-out pairs scored by exact match (default 1000)")
    transformer.add_argument("--beam-width", type=positive_int, default=1,
                             help="1 for greedy decoding, more for beam search (default 1)")
    gpt = add("gpt", "decoder-only character language model (GPT) on the bundled corpus",
              _gpt, 3, 3e-3, 32)
    gpt.add_argument("--block-size", type=positive_int, default=64,
                     help="context length in characters (default 64)")
    gpt.add_argument("--sample-length", type=positive_int, default=200,
                     help="characters in the printed sample, prompt included (default 200)")
    gpt.add_argument("--temperature", type=positive_float, default=0.8,
                     help="sampling temperature of the printed sample (default 0.8)")
