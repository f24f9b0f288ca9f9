"""Staging hub artefacts: pinned revisions, the files a repository really holds, a staged
model's manifest, and the ``hub_mirror`` mapping that serves local stand-ins in place of the
hub (tests, CI). Below the data sets and the models that both stage through it."""
