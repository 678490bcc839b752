"""Data loading and fold-safe preprocessing."""

from kagglekit.data.loading import CompetitionData, DataError, load_competition, read_table

__all__ = ["CompetitionData", "DataError", "load_competition", "read_table"]
