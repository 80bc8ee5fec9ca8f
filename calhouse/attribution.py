"""Attribution for every row of a table: any tabular network, equal to Captum's.

:func:`attribute_dataset` and :func:`layer_conductance_dataset` give the numbers of
the plain Captum calls (``IntegratedGradients(model).attribute(X, ...)`` and so
on) for a table of any size and any number of columns, in memory bounded by a
chunk, many times faster. Plain Captum is slow on a whole table for two reasons,
neither of them the network:

* Captum differentiates ``torch.unbind(outputs)``, one autograd root per
  evaluated row (a million for IntegratedGradients on 20,640 rows with 50
  steps), and that bookkeeping costs many times the network's own arithmetic.
  The gradient of the *sum* of the outputs with respect to each row's input is
  the same number, since a row's output depends on that row only; autograd
  adds up the roots' gradients anyway.
* It expands every row ``n_steps`` times (times ``nt_samples`` for NoiseTunnel)
  at once, so the activations of all the expanded rows live in memory together.

Here the rows go through in chunks small enough for their activations to stay in
the processor's cache, and each chunk is differentiated through the sum of its
outputs. :data:`METHODS` is the registry of the methods: for each, the Captum
class that the result equals, the tutorial's label and Captum's default options.
:class:`~captum.attr.FeatureAblation` is Captum's own class, called chunk by
chunk. :class:`~captum.attr.DeepLift`'s Rescale rule is applied with hooks of
calhouse's own: Captum's class differentiates each row and its baseline, and
its hooks' arithmetic took about five times the network's own time; here the
baselines run without gradients, then the rows with the same multipliers in
place of the activations' derivatives (see Notes). For the integrated
methods and GradientShap the per-chunk arithmetic is written out here, in
Captum's order of operations, with the Gauss-Legendre nodes of
``numpy.polynomial.legendre.leggauss`` that Captum uses: Captum's ``attribute``
recomputes those nodes (twice) and builds the scaled inputs one step at a time on
every call, about 3 ms, which on a chunk of the tutorial's network adds some 40%
to the network's own time. The tests show that every method equals the plain
Captum call.

Random methods draw what Captum draws, in its order, from the same global
generators (seeded by ``seed``): NoiseTunnel one ``torch.normal`` tensor of
shape ``(n_samples * nt_samples, n_features)``; GradientShap the baseline
indices (``numpy.random.choice``), its noise, then the interpolation
coefficients (``numpy.random.uniform``). The draws are made once for the whole
table, before chunking, so that the result does not depend on ``batch_size``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from calhouse._checks import (
    check_bool,
    check_choice,
    check_options,
    check_positive_int,
    check_seed,
)
from calhouse._chunks import Job, layer_conductance_chunks
from calhouse._methods import CAPTUM_BATCHING, METHODS, OPTION_CHECKS, Method
from calhouse._runner import fill, prepare, threads
from calhouse._table_checks import check_module, check_submodule

__all__ = ["METHODS", "attribute_dataset", "layer_conductance_dataset"]

#: Network evaluations per chunk when ``batch_size`` is not given: a chunk of
#: IntegratedGradients (50 steps) holds 163 rows, one of NoiseTunnel 32. The
#: tutorial network's activations for that many evaluations (about 10 MB) stay
#: in the processor's cache; measured on 2 cores, 4x larger chunks are slower.
CHUNK_EVALUATIONS = 8_192


def attribute_dataset(
    model: nn.Module,
    X: torch.Tensor,
    method: str,
    *,
    baselines: torch.Tensor | float | None = None,
    target: int | list[int] | torch.Tensor | None = None,
    feature_names: list[str] | tuple[str, ...] | None = None,
    seed: int | None = 0,
    batch_size: int | None = None,
    device: str | torch.device = "cpu",
    progress: bool | None = None,
    **options: Any,
) -> torch.Tensor:
    """Attribute a model's output to the input features, for every row of a table.

    The numbers of the plain Captum call (``METHODS[method].captum(model).attribute(X,
    baselines=..., target=..., **options)``, e.g. ``IntegratedGradients(model)
    .attribute(X, n_steps=50)``) for any number of rows, chunk by chunk in bounded
    memory, and many times faster (see Notes).

    Parameters
    ----------
    model : torch.nn.Module
        A network that takes rows of ``n_features`` values and returns one value
        per row (shape (n_samples,) or (n_samples, 1)) or several (n_samples,
        n_outputs). Its outputs must depend on its own row only (no batch
        statistics), as for any network in ``eval()`` mode.
    X : torch.Tensor of shape (n_samples, n_features)
        Float32 rows to explain, on any device; any number of rows >= 1.
    method : str
        A key of :data:`METHODS`: ``"integrated_gradients"``, ``"noise_tunnel"``
        (SmoothGrad over IG), ``"deeplift"``, ``"gradient_shap"`` or
        ``"feature_ablation"``.
    baselines : torch.Tensor or float, optional
        The reference input, in one of these forms (the same as
        :func:`layer_conductance_dataset`): a number, for every feature of every
        row; a tensor of shape (n_features,) or (1, n_features), one reference row
        for every row (e.g. the training set's mean, ``X_train.mean(0)``); or one
        reference row per row of ``X``, (n_samples, n_features). Default zero.
        Tensors must be float32 and finite; a NumPy array is refused (convert it
        with ``torch.as_tensor(a, dtype=torch.float32)``). For ``"gradient_shap"``
        (required): reference rows to draw from, a tensor of shape
        (n_references, n_features), e.g. the training set.
    target : int, list of int or torch.Tensor, optional
        Which output to explain, for a model with several: an int, or one per row
        (a list or a 1-D integer tensor of n_samples), as Captum takes it.
        ``None`` (default) for a model with one output.
    feature_names : sequence of str, optional
        The names of the columns of ``X``, used in error messages.
    seed : int or None, default=0
        Seed of torch's and NumPy's global generators for the random methods; the
        caller's random state is restored afterwards. ``None`` draws from the
        global state as a direct Captum call does. Draws are made on the CPU
        whatever the ``device``, so a seed gives the same draws everywhere.
    batch_size : int, optional
        Rows of ``X`` per chunk. Working memory grows with it: a chunk evaluates
        the network ``batch_size`` times the evaluations per row (``n_steps``
        for IG, ``n_steps * nt_samples`` for NoiseTunnel, ``n_samples`` for
        GradientShap, 1 for DeepLift, whose baselines run in passes of their own,
        1 per forward pass for FeatureAblation).
        Default: :data:`~calhouse.attribution.CHUNK_EVALUATIONS` evaluations per chunk. The result does
        not depend on it.
    device : str or torch.device, default="cpu"
        Where the network runs. Chunks are moved there one at a time; the model is
        used as it is if it lives there, else a copy is moved (the caller's model
        is never moved).
    progress : bool or None, default=None
        Show a progress bar over the rows; ``None`` shows one only on a terminal.
    **options
        The method's options (``METHODS[method].options``), with Captum's defaults:
        ``n_steps=50`` (IG, NoiseTunnel), ``nt_samples=5`` and ``stdevs=1.0``
        (NoiseTunnel), ``n_samples=5`` and ``stdevs=0.0`` (GradientShap).

    Returns
    -------
    torch.Tensor of shape (n_samples, n_features)
        The attributions: a new float32 tensor on the CPU, detached from any
        graph (``.numpy()`` works on it directly).

    Raises
    ------
    ValueError
        For an unknown method, bad shapes, an empty ``X``, NaN or infinite values,
        a bad option value, ``batch_size`` or ``target``, a model with several
        outputs and no ``target``, or a device that is not available
        (``"meta"`` included); all before any attribution work.
    TypeError
        For a model that is not a :class:`torch.nn.Module` (a file path, say),
        inputs that are not float32 tensors, or options the method does not take
        (with the closest name the method does take).

    See Also
    --------
    layer_conductance_dataset : The conductance of a layer's neurons.

    Notes
    -----
    Captum, given a whole table, differentiates every evaluated row's output
    separately (a million autograd roots for IG on 20,640 rows) and holds the
    activations of all the expanded rows at once. Here the rows go through in
    chunks whose activations fit in the processor's cache, and the gradient of
    each chunk is taken through the sum of its outputs: the same gradients, since
    a row's output depends on that row only (which is why the model must not mix
    rows, e.g. through batch statistics). The random methods draw what Captum
    draws, in Captum's order, once for the whole table: the result does not depend
    on ``batch_size``.

    Apart from the output, the only memory that grows with the number of rows holds
    those draws (``nt_samples`` or ``n_samples`` values per input value).

    On the CPU, chunks run concurrently on ``torch.get_num_threads()`` threads, each
    operation on a single thread: torch's thread count is set to 1 for the duration
    of the call and restored afterwards. Small operations split across threads
    wait for each other, and on a busy machine each wait can last a time slice of
    the scheduler; chunks on threads of their own do not wait, and a thread that
    falls behind takes fewer chunks. Working memory is then about one chunk per
    thread, and the result does not depend on the number of threads. The threads
    are kept for the next call (idle, they wait without using the processor); a
    forked process starts its own.

    DeepLift is Captum's Rescale rule, computed with hooks of calhouse's own on the
    network's ReLU, ELU, LeakyReLU, Sigmoid, Tanh and Softplus modules (removed
    again before returning): the baselines run first without gradients (a single
    baseline, or the default zeros, once per thread rather than once per chunk),
    then the rows with the multipliers in place of those modules' derivatives, so
    the backward pass covers the rows only, not their baselines too. A module that runs
    twice in a forward pass gets a multiplier for each run (Captum's class refuses
    such a network). Networks with Softmax or MaxPool modules, for which Captum's
    DeepLift has other rules, are refused with a ValueError before any work.

    Examples
    --------
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 2))
    >>> X = torch.rand(1000, 3)
    >>> attributions = attribute_dataset(model, X, "integrated_gradients", target=1)
    >>> attributions.shape, attributions.dtype, attributions.requires_grad
    (torch.Size([1000, 3]), torch.float32, False)

    The same numbers as Captum's own call:

    >>> from captum.attr import IntegratedGradients
    >>> plain = IntegratedGradients(model).attribute(X, target=1, n_steps=50)
    >>> torch.allclose(attributions, plain, atol=1e-6)
    True
    """
    if method in ("layer_conductance", "conductance"):
        raise ValueError(
            f"{method!r} is a layer method: use calhouse.layer_conductance_dataset(model, X, layer)"
        )
    spec: Method = METHODS[check_choice(method, METHODS, "attribution method")]
    batching = sorted(set(options) & CAPTUM_BATCHING)
    if batching:
        raise TypeError(
            f"{batching[0]} is Captum's own way of splitting the work; here the rows "
            "go through in chunks already: pass batch_size (rows per chunk) instead"
        )
    check_options(options, spec.options, spec.name)
    chosen = {**spec.options}
    for option, value in options.items():
        chosen[option] = OPTION_CHECKS[option](value, option)
    seed = check_seed(seed)
    args = prepare(
        model,
        X,
        baselines=baselines,
        target=target,
        feature_names=feature_names,
        device=device,
        batch_size=batch_size,
        progress=progress,
        references=spec.references,
    )
    size = args.batch_size or max(1, CHUNK_EVALUATIONS // spec.evaluations(chosen))
    n_rows = args.X.shape[0]
    pool = threads(args.device, -(-n_rows // size))
    job = Job(
        args.net, args.X, args.baselines, args.target, MappingProxyType(chosen), seed, args.device
    )
    out = torch.empty(args.X.shape, dtype=torch.float32)
    with spec.chunks(job) as compute:
        fill(out, compute, size, pool, desc=spec.name, progress=args.progress)
    return out


def layer_conductance_dataset(
    model: nn.Module,
    X: torch.Tensor,
    layer: str | nn.Module,
    *,
    n_steps: int = 50,
    attribute_to_layer_input: bool = False,
    baselines: torch.Tensor | float | None = None,
    target: int | list[int] | torch.Tensor | None = None,
    feature_names: list[str] | tuple[str, ...] | None = None,
    batch_size: int | None = None,
    device: str | torch.device = "cpu",
    progress: bool | None = None,
) -> torch.Tensor:
    """:class:`~captum.attr.LayerConductance` of a layer's neurons, for every row of a table.

    The numbers of ``LayerConductance(model, layer).attribute(X, n_steps=...,
    attribute_to_layer_input=..., baselines=..., target=...)``, chunk by chunk:
    Captum's quadrature with ``n_steps + 1`` Gauss-Legendre points, the layer's
    values captured by a forward hook, and its gradient taken through the sum of
    the chunk's outputs.

    Parameters
    ----------
    model : torch.nn.Module
        As in :func:`attribute_dataset`.
    X : torch.Tensor of shape (n_samples, n_features)
        Float32 rows to explain, on any device; any number of rows >= 1.
    layer : str or torch.nn.Module
        The layer: a submodule of ``model``, or its name (``"lin4"``,
        ``"0.linear"``, as :meth:`torch.nn.Module.named_modules` gives it). It
        must run once per forward pass.
    n_steps : int, default=50
        Integration steps (Captum's default; the tutorial uses 100).
    attribute_to_layer_input : bool, default=False
        Attribute to the layer's inputs (True) or outputs (False, Captum's default).
    baselines : torch.Tensor or float, optional
        The reference input, in the forms :func:`attribute_dataset` takes; default
        zero.
    target : int, list of int or torch.Tensor, optional
        As in :func:`attribute_dataset`.
    feature_names : sequence of str, optional
        The names of the columns of ``X``, used in error messages.
    batch_size : int, optional
        Rows of ``X`` per chunk (a chunk evaluates the network ``batch_size *
        (n_steps + 1)`` times); default :data:`~calhouse.attribution.CHUNK_EVALUATIONS` evaluations.
    device : str or torch.device, default="cpu"
        As in :func:`attribute_dataset`.
    progress : bool or None, default=None
        Show a progress bar over the rows; ``None`` shows one only on a terminal.

    Returns
    -------
    torch.Tensor of shape (n_samples, n_neurons)
        The conductance of each of the layer's values (its input's with
        ``attribute_to_layer_input``): a new float32 tensor on the CPU, detached
        from any graph.

    Raises
    ------
    ValueError, TypeError
        As :func:`attribute_dataset`, and for a layer that is not a submodule of
        ``model`` (with the closest name there is), all before any work.

    Examples
    --------
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1))
    >>> X = torch.rand(1000, 3)
    >>> conductance = layer_conductance_dataset(model, X, "1", n_steps=100)
    >>> conductance.shape
    torch.Size([1000, 16])
    >>> from captum.attr import LayerConductance
    >>> plain = LayerConductance(model, model[1]).attribute(X, n_steps=100)
    >>> torch.allclose(conductance, plain, atol=1e-6)
    True
    """
    model = check_module(model)
    layer_name, _ = check_submodule(model, layer)
    n_steps = check_positive_int(n_steps, "n_steps")
    to_input = check_bool(attribute_to_layer_input, "attribute_to_layer_input")
    args = prepare(
        model,
        X,
        baselines=baselines,
        target=target,
        feature_names=feature_names,
        device=device,
        batch_size=batch_size,
        progress=progress,
    )
    size = args.batch_size or max(1, CHUNK_EVALUATIONS // (n_steps + 1))
    n_rows = args.X.shape[0]
    job = Job(args.net, args.X, args.baselines, args.target, {}, None, args.device)
    chunked, width = layer_conductance_chunks(job, layer_name, n_steps, to_input=to_input)
    with chunked as compute:
        out = torch.empty(n_rows, width, dtype=torch.float32)
        pool = threads(args.device, -(-n_rows // size))
        fill(out, compute, size, pool, desc="layer_conductance", progress=args.progress)
    return out
