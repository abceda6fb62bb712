"""The bill, read for reconcile: AWS Data Exports' CUR 2.0 and FOCUS 1.2 exports (files, folders or
S3, ``exports``) and Cost Explorer (``costexplorer``), all as one normalised :class:`Bill` (``frame``)."""

from .frame import Bill

__all__ = ["Bill"]
