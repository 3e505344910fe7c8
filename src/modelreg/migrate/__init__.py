"""Moving data in and out of modelreg: MLflow imports and portable archives.

* :mod:`modelreg.migrate.archive`: ``modelreg export`` / ``modelreg import``, a
  portable archive of every row and file (docs/migrating.md describes the format).
* :mod:`modelreg.migrate.mlflow`: ``modelreg import-mlflow``, a live MLflow server
  read through its public REST API and written through the services.
"""
