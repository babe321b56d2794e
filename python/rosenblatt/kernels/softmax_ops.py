"""The softmax family: softmax, log-softmax and fused cross-entropy.

All three subtract the maximum along the axis before exponentiating, so they
are exact for logits of any magnitude (``1e4`` and beyond), and run one
native pass per row (two reads of the input, one write of the output) on
``rosenblatt.get_num_threads()`` threads with the GIL released.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import _C


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Softmax of ``x`` along ``axis``.

    .. math::

        y_j = \frac{\exp(x_j - m)}{\sum_k \exp(x_k - m)}, \qquad m = \max_k x_k

    (subtracting :math:`m` changes nothing mathematically and keeps every
    exponent :math:`\le 0`).

    Parameters
    ----------
    x : numpy.ndarray
        float32 or float64, any shape with at least one dimension. Strided
        views are read in place when their layout allows it, else copied once.
    axis : int, default -1
        The axis to normalize; negative values count from the end.

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array of ``x``'s shape and dtype whose values along
        ``axis`` are positive and sum to 1.

    Raises
    ------
    TypeError
        ``x`` is not a float32/float64 ndarray, or ``axis`` is not an int.
    ValueError
        ``x`` is 0-d or ``axis`` is out of range.
    """
    return _C.softmax(x, axis)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Logarithm of the softmax of ``x`` along ``axis``.

    .. math::

        y_j = (x_j - m) - \log \sum_k \exp(x_k - m), \qquad m = \max_k x_k

    computed directly (not as ``log(softmax(x))``), so it stays finite where
    the softmax underflows to 0.

    Parameters
    ----------
    x : numpy.ndarray
        float32 or float64, any shape with at least one dimension.
    axis : int, default -1
        The axis to normalize; negative values count from the end.

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array of ``x``'s shape and dtype.

    Raises
    ------
    TypeError
        ``x`` is not a float32/float64 ndarray, or ``axis`` is not an int.
    ValueError
        ``x`` is 0-d or ``axis`` is out of range.
    """
    return _C.log_softmax(x, axis)


def cross_entropy(
    logits: np.ndarray,
    labels: np.ndarray,
    *,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    ignore_index: int = -100,
) -> tuple[float | np.ndarray, np.ndarray]:
    r"""Softmax cross-entropy and its gradient with respect to the logits.

    Same semantics as ``torch.nn.functional.cross_entropy`` with class-index
    targets. For a row :math:`z` with label :math:`y` among :math:`C`
    classes, :math:`p = \mathrm{softmax}(z)` and the smoothed target
    :math:`q = (1 - \varepsilon)\,\mathrm{onehot}(y) + \varepsilon / C`:

    .. math::

        \ell = -\sum_c q_c \log p_c, \qquad
        \frac{\partial \ell}{\partial z} = p - q

    Rows whose label equals ``ignore_index`` have loss 0 and gradient 0.
    Loss and gradient come from one fused pass per row (max, sum of
    exponentials, loss, gradient).

    Parameters
    ----------
    logits : numpy.ndarray
        (N, C), float32 or float64, C >= 1.
    labels : numpy.ndarray
        (N,), any integer dtype; each value in ``[0, C)`` or equal to
        ``ignore_index``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        'mean' averages over the rows that are not ignored, 'sum' adds all
        rows, 'none' returns every row's loss.
    label_smoothing : float, default 0.0
        :math:`\varepsilon`, finite and in ``[0, 1]``.
    ignore_index : int, default -100
        The label value whose rows do not count.

    Returns
    -------
    loss : float or numpy.ndarray
        A Python float for 'mean' and 'sum' (accumulated in double); an (N,)
        array of ``logits``' dtype for 'none'. With 'mean' and every row
        ignored (or N == 0) it is ``nan`` (0 / 0), as in PyTorch.
    grad : numpy.ndarray
        (N, C), ``logits``' dtype: the gradient of the returned loss with
        respect to ``logits`` (for 'mean' it carries the 1 / (rows counted)
        factor). For 'none' it is the gradient of ``loss.sum()``, i.e. as if
        the upstream gradient were all ones; scale row i by an upstream
        ``g[i]`` to chain a different one.

    Raises
    ------
    TypeError
        ``logits`` is not a float32/float64 ndarray, ``labels`` is not an
        integer ndarray, or an option has the wrong type.
    ValueError
        Wrong ndim or shapes, a label outside ``[0, C)`` that is not
        ``ignore_index`` (the message names the row and the label), or an
        invalid ``reduction`` / ``label_smoothing``. Labels are checked
        before anything is computed.
    """
    return _C.cross_entropy(logits, labels, reduction, label_smoothing, ignore_index)
