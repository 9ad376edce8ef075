"""The real-music corpus: excerpts of released recordings from Debian's music packages,
with injected problems and labels from an independent meter (see ``corpus/README.md``)."""
