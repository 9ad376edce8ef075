"""Loudness family: BS.1770-4 K-weighting, gating, momentary/short-term, LRA, true peak."""
