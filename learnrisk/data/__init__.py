"""Canonical learning data: the contract, readers, writers and validation."""

from ._core import LearningData, read_parquet
from ._schema import OUTCOMES, SCHEMA, TABLES

__all__ = ["OUTCOMES", "SCHEMA", "TABLES", "LearningData", "read_parquet"]
