"""``rosenblatt train mlp | logistic | perceptron``: the first model family on bundled data.

Each command loads the dataset, splits it 80/20 with a fixed seed,
standardizes the features on the training split, trains, prints the test
accuracy and, with ``--json``, ends with the one-line summary.
"""

from __future__ import annotations

import argparse
import time


from rosenblatt.cli import nonnegative_float, positive_float, positive_int, probability
from rosenblatt.models.mlp import ACTIVATIONS

DATASETS = ("digits", "mnist5k")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s) for s in text.split(",") if s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be >= 1, got {text!r}")
    return sizes


def prepared_split(dataset: str):
    """(X_train, X_test, y_train, y_test): the fixed 80/20 split, pixels scaled to [0, 1].

    The scale is the training split's largest pixel value (16 for digits, 1
    for mnist5k). Per-pixel standardization would instead blow up the nearly
    constant border pixels of MNIST and costs about a point of accuracy there.
    """
    from rosenblatt.data import load_dataset, train_test_split

    X, y = load_dataset(dataset)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
    scale = X_train.max()
    return X_train / scale, X_test / scale, y_train, y_test


def train_classifier(model, X_train, y_train, X_test, y_test, *, epochs: int, lr: float,
                     batch_size: int, plot: str | None = None, checkpoint: str | None = None,
                     progress: bool = True, weight_decay: float = 0.0, cosine: bool = True):
    """Train ``model`` with Adam (cosine-annealed learning rate unless ``cosine=False``).

    Returns (test accuracy, history).
    """
    from rosenblatt import optim, train
    from rosenblatt.data import DataLoader, TensorDataset
    from rosenblatt.tensor import Tensor

    train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=512)
    optimizer = optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs) if cosine else None
    history = train.fit(model, model.loss, optimizer, train_loader, test_loader, epochs=epochs,
                        scheduler=scheduler, progress=progress, plot=plot)
    if checkpoint:
        train.save_checkpoint(checkpoint, model, optimizer, scheduler, epoch=epochs)
    accuracy = float((model.predict(Tensor(X_test)) == y_test).mean())
    return accuracy, history


def _run_gradient_model(args: argparse.Namespace, name: str, build) -> int:
    import rosenblatt as rb
    from rosenblatt.cli import report

    rb.manual_seed(args.seed)
    start = time.perf_counter()
    X_train, X_test, y_train, y_test = prepared_split(args.dataset)
    model = build(X_train.shape[1], int(y_train.max()) + 1)
    accuracy, _ = train_classifier(model, X_train, y_train, X_test, y_test, epochs=args.epochs,
                                   lr=args.lr, batch_size=args.batch_size, plot=args.plot,
                                   checkpoint=args.save, weight_decay=args.weight_decay)
    report(args, model=name, dataset=args.dataset, epochs=args.epochs,
           test={"accuracy": round(accuracy, 4)}, seconds=time.perf_counter() - start)
    return 0


def _mlp(args: argparse.Namespace) -> int:
    from rosenblatt.models import MLPClassifier

    return _run_gradient_model(args, "mlp", lambda d, c: MLPClassifier(
        d, args.hidden, c, activation=args.activation, dropout=args.dropout,
        batch_norm=args.batch_norm))


def _logistic(args: argparse.Namespace) -> int:
    from rosenblatt.models import LogisticRegression

    return _run_gradient_model(args, "logistic", LogisticRegression)


def _perceptron(args: argparse.Namespace) -> int:
    import rosenblatt as rb
    from rosenblatt.cli import report
    from rosenblatt.models import Perceptron

    rb.manual_seed(args.seed)
    start = time.perf_counter()
    X_train, X_test, y_train, y_test = prepared_split(args.dataset)
    model = Perceptron(X_train.shape[1], int(y_train.max()) + 1, averaged=not args.plain)
    model.fit(X_train, y_train, max_epochs=args.epochs)
    accuracy = float((model.predict(X_test) == y_test).mean())
    print(f"{model.updates_} updates over {len(model.mistakes_per_epoch_)} epochs"
          f"{' (converged)' if model.converged_ else ''}; train accuracy "
          f"{(model.predict(X_train) == y_train).mean():.4f}")
    if args.plot:
        from rosenblatt.train.plots import plot_curves

        plot_curves(args.plot, {"mistakes": model.mistakes_per_epoch_}, ylabel="mistakes per epoch",
                    title="Perceptron")
    if args.save:
        from rosenblatt.train import save_checkpoint

        save_checkpoint(args.save, model, epoch=len(model.mistakes_per_epoch_))
    report(args, model="perceptron", dataset=args.dataset, epochs=len(model.mistakes_per_epoch_),
           test={"accuracy": round(accuracy, 4)}, seconds=time.perf_counter() - start)
    return 0


def register(commands, common: argparse.ArgumentParser) -> None:
    """Add the mlp, logistic and perceptron subcommands of ``rosenblatt train``."""
    def add(name: str, help_text: str, run, epochs: int, lr: float | None, batch_size: int | None):
        parser = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        parser.add_argument("--dataset", choices=DATASETS, default="digits",
                            help="bundled dataset (default digits)")
        parser.add_argument("--epochs", type=positive_int, default=epochs,
                            help=f"passes over the training set (default {epochs})")
        if lr is not None:
            parser.add_argument("--lr", type=positive_float, default=lr,
                                help=f"Adam learning rate, cosine-annealed to 0 (default {lr})")
            parser.add_argument("--batch-size", type=positive_int, default=batch_size,
                                help=f"minibatch size (default {batch_size})")
            parser.add_argument("--weight-decay", type=nonnegative_float, default=0.0,
                                help="L2 penalty coefficient (default 0)")
        parser.set_defaults(run=run)
        return parser

    mlp = add("mlp", "multilayer perceptron classifier", _mlp, 40, 1e-3, 64)
    mlp.add_argument("--hidden", type=_sizes, default=(512, 256),
                     help="hidden layer sizes, comma-separated (default 512,256)")
    mlp.add_argument("--activation", default="relu", choices=sorted(ACTIVATIONS),
                     help="hidden activation (default relu)")
    mlp.add_argument("--dropout", type=probability, default=0.3,
                     help="dropout rate in [0, 1) (default 0.3)")
    mlp.add_argument("--batch-norm", action="store_true", help="batch norm after each hidden layer")
    add("logistic", "softmax (multinomial logistic) regression", _logistic, 30, 1e-2, 64)
    perceptron = add("perceptron", "one-vs-rest perceptron (Rosenblatt's rule)", _perceptron, 50,
                     None, None)
    perceptron.add_argument("--plain", action="store_true",
                            help="predict with the last weights instead of the averaged ones")
