"""The synthetic world of the default study.

No hub is reachable offline and a randomly initialised model has no knowledge to lose,
so the default study builds a small world in which pre-training *creates* knowledge:
several artificial languages express one concept set, a knowledge base of facts is stated
in the corpus, and downstream tasks have a known label-noise rate (so a known Bayes
accuracy). Everything is a pure function of the world parameters and their seed.
"""

from pipeline.world.build import build_world

__all__ = ["build_world"]
