"""A type's hierarchy compiled to arrays: aggregate normalised indicators up to the total.

The kernel is what a robustness analysis calls: ``TypeKernel.scores(normalised, weights)``
with ``weights`` of shape ``(samples, n_weights)`` aggregates every sample in one vectorised
pass (loops run over the hierarchy's nodes, never over units or samples).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from scoring.aggregate import aggregate
from scoring.rubric.schema import Aggregation, Indicator, Node, TypeSpec

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class InnerNode:
    """An aggregating node; ``children`` index the kernel's ``codes`` (leaves first)."""

    code: str
    children: tuple[int, ...]
    kind: Aggregation
    max_missing_share: float


@dataclass(frozen=True)
class TypeKernel:
    """The hierarchy of one type, flattened.

    ``codes`` lists the indicators (``n_indicators`` leaves, in depth-first order), then the
    inner nodes in post-order, then the type's root (``TypeSpec.root``, ``"total"`` by
    default) last. ``weights`` holds each code's weight
    (the root's is 1), so ``weights`` is the default parameter vector.
    """

    codes: tuple[str, ...]
    n_indicators: int
    inner: tuple[InnerNode, ...]
    weights: FloatArray
    parents: tuple[int, ...]

    @classmethod
    def build(cls, spec: TypeSpec) -> TypeKernel:
        leaves: list[Indicator] = []
        _collect_leaves(spec.pillars, leaves)
        codes = [i.code for i in leaves]
        weights = [i.weight for i in leaves]
        inner: list[InnerNode] = []
        leaf_index = {code: k for k, code in enumerate(codes)}

        def compile_node(node: Node) -> int:
            if node.nodes:
                children = tuple(compile_node(child) for child in node.nodes)
            else:
                children = tuple(leaf_index[i.code] for i in node.indicators)
            codes.append(node.code)
            weights.append(node.weight)
            inner.append(InnerNode(node.code, children, node.aggregation, node.max_missing_share))
            return len(codes) - 1

        top = tuple(compile_node(p) for p in spec.pillars)
        codes.append(spec.root)
        weights.append(1.0)
        inner.append(InnerNode(spec.root, top, spec.aggregation, spec.max_missing_share))
        parents = [-1] * len(codes)
        for node in inner:
            for c in node.children:
                parents[c] = codes.index(node.code)
        w = np.array(weights, dtype=np.float64)
        w.setflags(write=False)
        return cls(tuple(codes), len(leaves), tuple(inner), w, tuple(parents))

    def scores(
        self, normalised: FloatArray, weights: FloatArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Scores of every code and the effective weight of every code within its parent.

        Parameters
        ----------
        normalised : ndarray, shape (..., units, n_indicators)
            Normalised indicator values (0-100), NaN where missing.
        weights : ndarray, shape (..., len(codes)), optional
            Weight of every code (the root's is ignored); defaults to the rubric's.

        Returns
        -------
        scores : ndarray, shape (..., units, len(codes))
            Indicator values, then inner node scores, then the total; NaN where missing.
        local : ndarray, shape (..., units, len(codes))
            Each code's effective weight within its parent after reweighting (root: 1).
        """
        w = self.weights if weights is None else np.asarray(weights, dtype=np.float64)
        batch = np.broadcast_shapes(normalised.shape[:-2], w.shape[:-1])
        units = normalised.shape[-2]
        scores = np.full((*batch, units, len(self.codes)), np.nan)
        local = np.zeros_like(scores)
        scores[..., : self.n_indicators] = normalised
        local[..., -1] = 1.0
        start = self.n_indicators
        for k, node in enumerate(self.inner):
            idx = list(node.children)
            score, eff = aggregate(scores[..., idx], w[..., idx], node.kind, node.max_missing_share)
            scores[..., start + k] = score
            local[..., idx] = eff
        return scores, local

    def path_weights(self, local: FloatArray) -> FloatArray:
        """Weight of every code in the total: the product of local weights up to the root."""
        out = local.copy()
        # Inner nodes come after their children, so walking codes from the root backwards
        # visits every parent before its children.
        for c in range(len(self.codes) - 2, -1, -1):
            out[..., c] = local[..., c] * out[..., self.parents[c]]
        return out

    def totals(self, normalised: FloatArray, weights: FloatArray | None = None) -> FloatArray:
        """Only the totals, shape ``(..., units)``; see :meth:`scores`."""
        return self.scores(normalised, weights)[0][..., -1]

    def with_aggregation(self, kind: Aggregation) -> TypeKernel:
        """The same hierarchy with every node (and the root) aggregated by ``kind``."""
        return replace(self, inner=tuple(replace(n, kind=kind) for n in self.inner))

    def uniform_kind(self) -> Aggregation | None:
        """The aggregation shared by every node, or None for a mixed hierarchy."""
        kinds = {n.kind for n in self.inner}
        return kinds.pop() if len(kinds) == 1 else None

    def leaf_paths(self, weights: FloatArray) -> FloatArray:
        """Each indicator's weight in the total when nothing is missing.

        The product, down the indicator's path, of each node's weight over the sum of its
        siblings' weights. ``weights`` has shape ``(samples, len(codes))``; the result
        ``(samples, n_indicators)``. Loops run over the nodes, never over samples.
        """
        w = np.asarray(weights, dtype=np.float64)
        local = np.ones_like(w)
        for node in self.inner:
            idx = list(node.children)
            local[:, idx] = w[:, idx] / np.sum(w[:, idx], axis=1, keepdims=True)
        path = local
        for c in range(len(self.codes) - 2, -1, -1):
            path[:, c] = local[:, c] * path[:, self.parents[c]]
        return path[:, : self.n_indicators]

    def _fast_weights(self, w: FloatArray, kind: Aggregation) -> bool:
        """Whether :meth:`leaf_paths` applies to every weight vector of ``w``.

        Positive weights always do. For arithmetic means a zero weight (an element removed)
        does too, as long as no node loses all its children's weight (the missing-aware path
        then makes that node missing and reweights its parent).
        """
        if np.all(w > 0):
            return True
        if kind != "arithmetic" or np.any(w < 0):
            return False
        return all(bool(np.all(w[:, list(n.children)].sum(axis=1) > 0)) for n in self.inner)

    def totals_batch(
        self, normalised: FloatArray, weights: FloatArray, *, max_cells: int = 4_000_000
    ) -> FloatArray:
        """Totals for a batch of weight vectors, shape ``(samples, units)``.

        Parameters
        ----------
        normalised : ndarray, shape (units, n_indicators)
            Normalised values, NaN where missing.
        weights : ndarray, shape (samples, len(codes))
            One weight vector per sample.

        Notes
        -----
        Fast path: when every node uses the same weighted mean, every weight is positive (for
        the arithmetic mean: no node has zero weight in all) and a unit has no missing value,
        its total is one weighted mean of the indicators with the :meth:`leaf_paths` weights
        (a mean of means with fixed shares is the mean with the products of the shares; for
        the geometric mean in logs, for the harmonic mean in reciprocals), so all samples
        take one matrix product. Units with a missing value (whose siblings are reweighted
        unit by unit) and mixed hierarchies go through :meth:`scores`, in chunks of at most
        ``max_cells`` numbers.
        """
        x = np.asarray(normalised, dtype=np.float64)
        w = np.asarray(weights, dtype=np.float64)
        kind = self.uniform_kind()
        complete: BoolArray = np.asarray(~np.isnan(x).any(axis=1), dtype=bool)
        if kind is None or not self._fast_weights(w, kind):
            complete[:] = False
        out = np.full((w.shape[0], x.shape[0]), np.nan) if not complete.all() else None
        if complete.all():
            return _weighted_mean(x, self.leaf_paths(w), kind)
        assert out is not None
        if complete.any():
            out[:, complete] = _weighted_mean(x[complete], self.leaf_paths(w), kind)
        rest = np.flatnonzero(~complete)
        if rest.size:
            step = max(1, max_cells // (rest.size * len(self.codes)))
            for start in range(0, w.shape[0], step):
                chunk = w[start : start + step]
                out[start : start + step, rest] = self.scores(x[rest], chunk)[0][..., -1]
        return out


def _weighted_mean(x: FloatArray, paths: FloatArray, kind: Aggregation | None) -> FloatArray:
    """``paths @ f(x).T`` mapped back, for complete rows ``x`` (units, n) and paths (s, n)."""
    with np.errstate(divide="ignore"):
        if kind == "arithmetic":
            total = paths @ x.T
        elif kind == "geometric":
            total = np.exp(paths @ np.log(np.where(x > 0, x, 1.0)).T)
        else:
            total = 1.0 / (paths @ (1.0 / np.where(x > 0, x, 1.0)).T)
    if kind != "arithmetic":
        # A zero child makes a geometric or harmonic mean 0 (see scoring.aggregate).
        zero = np.asarray((x <= 0).any(axis=1), dtype=bool)
        total = np.where(zero[None, :], 0.0, total)
    # As in scoring.aggregate: a weighted mean lies between its smallest and largest value.
    return np.clip(total, x.min(axis=1)[None, :], x.max(axis=1)[None, :], out=total)


def _collect_leaves(nodes: list[Node], out: list[Indicator]) -> None:
    for node in nodes:
        _collect_leaves(node.nodes, out)
        out.extend(node.indicators)
