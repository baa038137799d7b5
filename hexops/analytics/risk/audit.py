"""Bias audit by district: does the forecast or the patrol attention outrun public reports?

Publicly reported incidents are the least patrol-dependent measure of where
crime happens.  For each district the audit compares its share of predicted
risk and its share of planned patrol minutes with its share of those
reports; a ratio above the configured limit flags the district as receiving
more attention than the public's own reports support.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def district_audit(risk: pd.Series, attention: pd.Series, public: pd.Series, limit: float = 1.5,
                   dosage: pd.Series | None = None) -> pd.DataFrame:
    """Shares and concentration ratios per district.

    Parameters
    ----------
    risk : pandas.Series
        Predicted incidents per district (index: district code).
    attention : pandas.Series
        Planned patrol minutes per district.
    public : pandas.Series
        Incidents reported by the public per district.
    limit : float
        A district is flagged when ``risk_share / public_share``,
        ``attention_share / public_share`` or ``dosage_share / public_share``
        exceeds it.
    dosage : pandas.Series, optional
        Reported patrol minutes per district (what units say they did, beside
        what the plans asked for).

    Returns
    -------
    pandas.DataFrame
        ``district, risk_share, attention_share, dosage_share, public_share,
        risk_ratio, attention_ratio, dosage_ratio, flagged, reason``, sorted
        by the largest ratio.
    """
    dosage = pd.Series(dtype=float) if dosage is None else dosage
    districts = sorted(set(risk.index) | set(attention.index) | set(public.index) | set(dosage.index))

    def shares(series: pd.Series) -> pd.Series:
        series = series.reindex(districts).fillna(0.0).astype(float)
        total = series.sum()
        return series / total if total > 0 else series * 0.0

    frame = pd.DataFrame({
        "district": districts,
        "risk_share": shares(risk).to_numpy(),
        "attention_share": shares(attention).to_numpy(),
        "dosage_share": shares(dosage).to_numpy(),
        "public_share": shares(public).to_numpy(),
    })
    labels = {"risk": "predicted risk", "attention": "planned patrol attention", "dosage": "reported patrol time"}
    with np.errstate(divide="ignore", invalid="ignore"):
        for key in labels:
            share = frame[f"{key}_share"]
            frame[f"{key}_ratio"] = np.where(share > 0, share / frame["public_share"], 0.0)
    reasons = []
    for row in frame.itertuples():
        parts = [f"{label} {getattr(row, key + '_ratio'):.1f}x its share of public reports"
                 for key, label in labels.items() if getattr(row, key + "_ratio") > limit]
        reasons.append("; ".join(parts))
    frame["reason"] = reasons
    frame["flagged"] = frame["reason"] != ""
    order = frame[["risk_ratio", "attention_ratio", "dosage_ratio"]].replace(np.inf, 1e9).max(axis=1)
    return frame.assign(_o=order).sort_values("_o", ascending=False).drop(columns="_o").reset_index(drop=True)
