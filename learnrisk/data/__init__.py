"""Canonical learning data: the contract, readers, writers and validation."""

from ._batches import offering_batches
from ._core import LearningData, read_parquet
from ._load import load_data
from ._oulad import FILES as OULAD_FILES
from ._oulad import read_oulad
from ._oulad_write import write_oulad
from ._schema import OPTIONAL_SCHEMA, OPTIONAL_TABLES, OUTCOMES, SCHEMA, SENSITIVE_ATTRIBUTES, TABLES
from ._validate import check_optional_table

__all__ = [
    "OULAD_FILES",
    "OPTIONAL_SCHEMA",
    "OPTIONAL_TABLES",
    "OUTCOMES",
    "SCHEMA",
    "SENSITIVE_ATTRIBUTES",
    "TABLES",
    "check_optional_table",
    "LearningData",
    "load_data",
    "offering_batches",
    "read_oulad",
    "read_parquet",
    "write_oulad",
]
