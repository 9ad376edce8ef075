"""Stems family: the stems of one song measured together (masking, low end, phase, level in
the sum, and how they sum to the mix); ``expert.descriptors.stems`` documents every name."""
