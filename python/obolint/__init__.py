"""obolint: a static analyzer for Databricks on-behalf-of-user agents and MLflow models.

The wheel ships the `obolint` binary as a script; this package only finds it, so that
`python -m obolint` works where the scripts folder is not on the PATH.
"""

from obolint._find_obolint import find_obolint_bin

__all__ = ["find_obolint_bin"]
