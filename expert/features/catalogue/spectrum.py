"""Catalogue entries of the spectrum descriptors."""

from expert.features.catalogue.spec import DescriptorSpec

SPECS: tuple[DescriptorSpec, ...] = ()
