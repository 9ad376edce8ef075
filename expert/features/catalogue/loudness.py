"""Catalogue entries of the loudness descriptors."""

from expert.features.catalogue.spec import DescriptorSpec

SPECS: tuple[DescriptorSpec, ...] = ()
