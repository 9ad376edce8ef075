"""Spectrum family: one STFT pass for the spectral shape, sibilance and the stereo image."""
