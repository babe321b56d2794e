"""``rosenblatt train seq2seq | charlm``: the recurrent family on generated and bundled text.

* ``seq2seq``: date translation (human-written dates -> ISO) with an
  attention encoder-decoder; prints the exact match on held-out dates (whose
  dates never occur in training), a few translations, and with ``--plot``
  writes the attention heatmap of one held-out date.
* ``charlm``: a character LSTM language model on the bundled pydoc corpus;
  prints the validation perplexity next to the unigram model's and a sample,
  with ``--plot`` the training-loss curve.
"""

from __future__ import annotations

import argparse
import time

from rosenblatt.cli import positive_float, positive_int

ATTENTION_CHOICES = ("additive", "dot", "general", "none")


def _seq2seq(args: argparse.Namespace) -> int:
    import rosenblatt as rb
    from rosenblatt.cli import report
    from rosenblatt.data import date_translation_split
    from rosenblatt.models.seq2seq import Seq2Seq, exact_match, fit_seq2seq, plot_attention
    from rosenblatt.text import CharVocab

    if args.plot and args.attention == "none":  # refused before training, not after it
        raise ValueError("--plot draws the attention weights: choose an --attention other than none")
    rb.manual_seed(args.seed)
    start = time.perf_counter()
    train, test = date_translation_split(args.train_size, args.test_size, seed=args.seed)
    source_vocab = CharVocab.build([s for s, _ in train])
    target_vocab = CharVocab.build([t for _, t in train], bos_eos=True)
    attention = None if args.attention == "none" else args.attention
    model = Seq2Seq(source_vocab, target_vocab, embedding_dim=args.embedding_dim,
                    hidden_size=args.hidden, attention=attention, cell=args.cell)
    fit_seq2seq(model, train, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                progress=True)
    test_scores = {"exact_match": round(exact_match(model, test), 4)}
    if args.beam_width > 1:
        test_scores[f"exact_match_beam{args.beam_width}"] = round(
            exact_match(model, test, beam_width=args.beam_width), 4)
    for (source, target), output in zip(test[:5], model.translate([s for s, _ in test[:5]])):
        print(f"{source!r} -> {output} ({'ok' if output == target else 'expected ' + target})")
    if args.plot:
        path = plot_attention(args.plot, *model.attention_map(test[0][0]),
                              title=f"{args.attention} attention")
        print(f"attention heatmap written to {path}")
    if args.save:
        model.save(args.save, epoch=args.epochs)  # Seq2Seq.load(path) rebuilds it
    report(args, model=f"seq2seq-{args.attention}", dataset="dates", epochs=args.epochs,
           test=test_scores, seconds=time.perf_counter() - start)
    return 0


def _charlm(args: argparse.Namespace) -> int:
    import rosenblatt as rb
    from rosenblatt.cli import report
    from rosenblatt.data import load_text_corpus
    from rosenblatt.models.charlm import CharLM, fit_charlm, unigram_perplexity
    from rosenblatt.text import CharVocab

    rb.manual_seed(args.seed)
    start = time.perf_counter()
    train, validation = load_text_corpus("train"), load_text_corpus("validation")
    vocab = CharVocab.build([train])
    model = CharLM(vocab, embedding_dim=args.embedding_dim, hidden_size=args.hidden,
                   num_layers=args.layers)
    steps_per_epoch = (len(train) - 1) // args.batch_size // args.sequence_length
    steps = args.epochs * steps_per_epoch
    if args.max_steps is not None:
        steps = min(steps, args.max_steps)
    history = fit_charlm(model, train, steps=steps, sequence_length=args.sequence_length,
                         batch_size=args.batch_size, lr=args.lr, progress=True)
    perplexity = model.perplexity(validation)
    baseline = unigram_perplexity(train, validation, vocab)
    print(f"validation perplexity {perplexity:.3f} (unigram model {baseline:.3f}) after {steps} steps")
    text = model.generate(args.prompt, args.sample_length, temperature=args.temperature,
                          top_k=args.top_k, top_p=args.top_p)
    print(f"sample: {text!r}")
    if args.plot:
        from rosenblatt.train.plots import plot_curves

        plot_curves(args.plot, {"training loss": history}, xlabel="step", ylabel="cross-entropy",
                    title="character LSTM")
    if args.save:
        model.save(args.save, epoch=args.epochs)  # CharLM.load(path) rebuilds it
    report(args, model="charlm", dataset="pydoc", epochs=args.epochs,
           test={"perplexity": round(perplexity, 4), "unigram_perplexity": round(baseline, 4)},
           seconds=time.perf_counter() - start)
    return 0


def register(commands, common: argparse.ArgumentParser) -> None:
    """Add the seq2seq and charlm subcommands of ``rosenblatt train``."""
    def add(name: str, help_text: str, run, epochs: int, lr: float, batch_size: int,
            hidden: int) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        parser.add_argument("--epochs", type=positive_int, default=epochs,
                            help=f"passes over the training data (default {epochs})")
        parser.add_argument("--lr", type=positive_float, default=lr,
                            help=f"Adam learning rate, cosine-annealed to 0 (default {lr})")
        parser.add_argument("--batch-size", type=positive_int, default=batch_size,
                            help=f"sequences per batch (default {batch_size})")
        parser.add_argument("--hidden", type=positive_int, default=hidden,
                            help=f"recurrent state size (default {hidden})")
        parser.add_argument("--embedding-dim", type=positive_int, default=32,
                            help="token embedding size (default 32)")
        parser.set_defaults(run=run)
        return parser

    seq2seq = add("seq2seq", "date translation with an attention encoder-decoder "
                  "(--plot writes the attention heatmap)", _seq2seq, 6, 5e-3, 64, 64)
    seq2seq.add_argument("--attention", choices=ATTENTION_CHOICES, default="additive",
                         help="attention score: additive (Bahdanau), dot or general (Luong), "
                              "or none (default additive)")
    seq2seq.add_argument("--cell", choices=("gru", "lstm"), default="gru",
                         help="recurrent cell (default gru)")
    seq2seq.add_argument("--train-size", type=positive_int, default=4000,
                         help="training pairs (default 4000)")
    seq2seq.add_argument("--test-size", type=positive_int, default=1000,
                         help="held-out pairs (default 1000)")
    seq2seq.add_argument("--beam-width", type=positive_int, default=1,
                         help="also score beam search of this width (default 1: greedy only)")

    charlm = add("charlm", "character-level LSTM language model on the bundled pydoc corpus "
                 "(--plot writes the loss curve)", _charlm, 2, 1e-2, 64, 128)
    charlm.add_argument("--sequence-length", type=positive_int, default=48,
                        help="characters per truncated-BPTT window (default 48)")
    charlm.add_argument("--layers", type=positive_int, default=1, help="LSTM layers (default 1)")
    charlm.add_argument("--max-steps", type=positive_int,
                        help="stop after this many windows (default: all of --epochs)")
    charlm.add_argument("--prompt", default="The ", help="text the sample starts with")
    charlm.add_argument("--sample-length", type=positive_int, default=200,
                        help="characters to sample (default 200)")
    charlm.add_argument("--temperature", type=positive_float, default=0.8,
                        help="sampling temperature (default 0.8)")
    charlm.add_argument("--top-k", type=positive_int, help="sample among the k most likely")
    charlm.add_argument("--top-p", type=_top_p, help="nucleus sampling mass in (0, 1]")


def _top_p(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value
