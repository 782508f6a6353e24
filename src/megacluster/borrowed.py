"""Borrowed array views for the compiled loops (``power/kernel.py``, ``reliability/kernel.py``).

numba counts references to every array a compiled function is given: a helper that takes arrays increments
each one's count on entry and decrements it on every exit, and these are atomic operations (a locked
instruction each, ~5-10 ns). In a loop that calls helpers with a dozen arrays at every step, they were most
of the loop's time (measured with ``perf`` on the flagship's dispatch: ~75 % of the samples in the loop were
in ``NRT_incref``/``NRT_decref``).

:func:`borrowed` gives a view of an array (or a typed list's handle) with no memory owner: numba skips the
counting for it (the ``NRT_incref`` of a null owner is a test and a return). The view must not outlive what
it borrows: a caller that owns the arrays passes them to a function that borrows them for its loop (the
caller's references keep them alive until it returns), and only owned arrays are returned. It changes no
value: the same memory, read and written in the same order.

numba's cache of a compiled function is keyed by its own source file: after a change here, touch the kernels'
files (``power/kernel.py``, ``reliability/kernel.py``) so that they compile again.
"""

# mypy: disable-error-code="no-untyped-def"
# (a numba intrinsic: typed by numba, not by annotations)

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_T = TypeVar("_T")


@intrinsic
def _borrowed(typingctx: Any, value: Any) -> Any:
    """``value`` without its memory owner, in compiled code only: an array's view (same data, shape and
    strides) or a typed list's handle (the same list: its items, appends and assignments are the owner's).
    Passing it to other compiled functions counts no references. It must not outlive ``value``. [-]"""
    if isinstance(value, types.Array):
        fields: tuple[str, ...] = ("nitems", "itemsize", "data", "shape", "strides")
    elif isinstance(value, types.ListType):
        fields = ("data",)  # the C list itself; its owner (meminfo) frees it
    else:
        return None

    def codegen(context, builder, signature, args):
        source = cgutils.create_struct_proxy(value)(context, builder, value=args[0])
        view = cgutils.create_struct_proxy(value)(context, builder)
        for name in fields:
            setattr(view, name, getattr(source, name))
        view.meminfo = cgutils.get_null_value(view.meminfo.type)
        if isinstance(value, types.Array):
            view.parent = cgutils.get_null_value(view.parent.type)
        return view._getvalue()

    return value(value), codegen


borrowed = cast("Callable[[_T], _T]", _borrowed)
"""``_borrowed`` as compiled code calls it: ``borrowed(array)`` (numba supplies the typing context). [-]"""
