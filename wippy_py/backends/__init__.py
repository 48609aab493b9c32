"""Workflow providers (layer L3): ``local`` runs workflows on the embedded journal;
``temporal`` (optional extra) runs them on a Temporal cluster."""
