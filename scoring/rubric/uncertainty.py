"""The rubric's uncertainty specification: what a robustness analysis varies, with defaults.

This is COINr's ``SA_specs`` in the rubric format. Every weight (indicators and inner nodes)
varies by default uniformly within ±25 % of its value; discrete alternatives (normalisation,
imputation, aggregation, treatment on/off) are off unless listed. Each alternative is
sampled with equal probability, the rubric's own choice being one of them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

WeightDistribution = Literal["uniform", "dirichlet", "fixed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeightUncertainty(_Strict):
    """How one weight (``code``: an indicator or node of any type) varies, overriding the
    defaults. ``uniform``: ``w (1 + spread (2u - 1))``; ``dirichlet``: the siblings' weights
    are drawn together from a Dirichlet distribution with mean at the rubric's shares and
    total concentration ``concentration``; ``fixed``: not varied."""

    code: str
    distribution: WeightDistribution = "uniform"
    spread: float | None = Field(default=None, ge=0, lt=1)


class Uncertainty(_Strict):
    """``[uncertainty]``: what the robustness analysis varies and how it reports."""

    samples: int = Field(default=10_000, ge=16, le=1_000_000)
    seed: int = Field(default=20_200_101, ge=0)
    #: A decision whose probability (its stability) is below this is flagged fragile.
    fragile_below: float = Field(default=0.8, gt=0, le=1)
    distribution: WeightDistribution = "uniform"
    spread: float = Field(default=0.25, ge=0, lt=1)
    concentration: float = Field(default=50.0, gt=0)
    weights: list[WeightUncertainty] = Field(default_factory=list)
    #: Alternative methods for every cohort-relative indicator (minmax, zscore, rank).
    normalisations: list[Literal["minmax", "zscore", "rank"]] = Field(default_factory=list)
    #: Alternative imputation for every indicator whose rule is not ``error``.
    imputations: list[Literal["zero", "skip", "mean", "median", "group_mean", "group_median"]] = (
        Field(default_factory=list)
    )
    #: Alternative aggregation for every node and root.
    aggregations: list[Literal["arithmetic", "geometric", "harmonic"]] = Field(default_factory=list)
    #: Also sample outlier treatment switched off.
    treatment_off: bool = False
