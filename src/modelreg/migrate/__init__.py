"""Moving data in and out of modelreg: MLflow imports and portable archives.

* :mod:`modelreg.migrate.archive`: ``modelreg export`` / ``modelreg import``, a
  portable archive of every row and file (docs/migrating.md describes the format).
* :mod:`modelreg.migrate.mlflow_import`: ``modelreg import-mlflow``, one importer
  written through the services, over a :class:`~modelreg.migrate.source.MlflowReader`:
  a live MLflow server read through its public REST API
  (:mod:`~modelreg.migrate.mlflow_source`) or an MLflow database read directly
  (:mod:`~modelreg.migrate.mlflow_db`).
"""
