"""Artifacts family: DC, clipping, clicks, dropouts, hum, noise floor, edge silence."""
