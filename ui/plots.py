"""Charts and tables on a page, each made once per data version and shared by every session.

Building a figure is most of a chart page's server time (the SPC chart of a long series with its
events and gap bands: about 60 ms), and ``st.plotly_chart`` then copies the whole figure into a
dictionary (``Figure.to_dict``, a deep copy) on every run. A chart depends only on the store and
on what the reader chose, so it is built once per data version for those choices and its
dictionary is made once with it (issue #23: chart pages were three to five times Streamlit's floor).
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st
from streamlit import dataframe_util

from ui import data

#: The chart toolbar without Plotly's logo, on every chart.
CONFIG = {"displaylogo": False}


def _finished(fig: go.Figure) -> go.Figure:
    """A figure whose dictionary is ``fig``'s, made once: ``st.plotly_chart`` asks for ``to_dict()``
    on every run, and only reads the answer (to write its JSON).

    The dictionary is the figure's own JSON read back, so it holds only strings, numbers and
    lists: writing it again is about a tenth of writing dates, arrays and frames (Plotly's encoder
    converts each of them in Python), and the JSON sent is the same, byte for byte. With ``orjson``
    installed (requirements.txt) Plotly writes it in C: about 0.4 ms for a chart that its own
    encoder took 7 ms to write on every run.
    """
    frozen = json.loads(pio.to_json(fig, validate=False))
    # An empty figure carries it: the built one, with its own copies of the data, is not kept
    # (a kept SPC chart took about 0.5 MB with it).
    shell = go.Figure(_validate=False)
    shell.to_dict = lambda: frozen  # an instance attribute: the class's method is unchanged
    return shell


def chart(what: tuple, build: Callable[..., go.Figure], *args, key: str, alt: str) -> None:
    """Draw the figure ``build(*args)`` makes for ``what`` (everything it depends on besides the store).

    Parameters
    ----------
    what
        The chart's kind and every choice it depends on, e.g. ``("spc", metric_id, area_id, start_year)``.
    build, args
        Make the figure; called once per data version for ``what``.
    key, alt
        Streamlit's element key and the chart's accessible name.
    """
    st.plotly_chart(kept_figure(what, build, *args), key=key, config=CONFIG, alt=alt)


def kept_figure(what: tuple, build: Callable[..., go.Figure], *args) -> go.Figure:
    """The figure ``build(*args)`` makes for ``what``, made once per data version (see :func:`chart`;
    the server's start-up warming, ``ui.warm``, makes the default area's charts with it)."""
    return data.per_version(("chart", *what), lambda: _finished(build(*args)), chart=True)


#: What was made from a kept answer (a frame's Arrow table or phone list, an indicator's words), by
#: the answer's identity and the kind of thing, while the answer lives (see :func:`made_from`).
_MADE: dict[tuple[int, str], tuple[weakref.ref, object]] = {}
_MADE_LOCK = threading.Lock()


def made_from(frame, kind: str, make):
    """``make(frame)`` once for as long as ``frame`` (a frame, an ``Indicator``) lives, by its identity.

    An answer kept per data version (``data.per_version``, the read layer's answers) is the same
    object on every run, so what is made from it (an Arrow table, an HTML list, a sentence) is made
    once; kept answers are read-only, so what was made stays true to them. An answer made afresh
    on each run is simply made again.
    """
    key = (id(frame), kind)
    with _MADE_LOCK:
        hit = _MADE.get(key)
    if hit is not None and hit[0]() is frame:
        return hit[1]
    made = make(frame)

    def forget(ref: weakref.ref) -> None:
        with _MADE_LOCK:
            if _MADE.get(key, (None,))[0] is ref:
                del _MADE[key]

    with _MADE_LOCK:
        _MADE[key] = (weakref.ref(frame, forget), made)
    return made


def table(frame: pd.DataFrame, **options) -> None:
    """``st.dataframe`` of ``frame``, converted to Arrow once for as long as the frame lives.

    Streamlit converts a pandas frame on every run (a tenth of the Data page's server time for its
    282 sources). A frame kept per data version (``data.per_version``, the read layer's answers) is
    the same object on every run, so it is converted once; kept frames are read-only, so the Arrow
    table stays true to them. ``options`` are ``st.dataframe``'s (``hide_index=True`` by default).
    """
    arrow = made_from(frame, "arrow", dataframe_util.convert_pandas_df_to_arrow_table)
    st.dataframe(arrow, **{"hide_index": True, **options})
