"""Column conversions computed once per distinct value.

A file's tidy rows repeat a few dozen period starts across hundreds of thousands of rows; parsing
every row's date (or formatting it) again was a large share of an ingest. The conversion is run on
the distinct values and spread back over the rows, so the result is the same as converting the
whole column.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd


def by_distinct(values: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``convert(values)``, computed on the distinct values only.

    Parameters
    ----------
    values : Series
    convert : callable
        Element-wise: each output value depends on its input value alone (``pd.to_datetime``,
        ``.astype(str)``, ``.dt.date``).

    Returns
    -------
    Series
        Indexed and named as ``values``. A column with missing values is converted as a whole, so
        missing values come out exactly as ``convert`` gives them.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(codes) == 0 or (codes < 0).any():
        return convert(values)
    converted = convert(pd.Series(uniques, name=values.name))
    return pd.Series(converted.array.take(codes), index=values.index, name=values.name)
