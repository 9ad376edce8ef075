"""Codec family: what a lossy encode/decode round trip does to the peaks of the master."""
