"""The labelled corpus: a deterministic generator of mixes with known problems.

``corpus.build.build(subset)`` turns ``recipe.yaml`` into FLAC files and a manifest under
``cache/<subset>/``; see README.md for the songs, the mixing chain and every injector.
"""
