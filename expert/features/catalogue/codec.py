"""Catalogue entries of the codec descriptors."""

from expert.features.catalogue.spec import DescriptorSpec

SPECS: tuple[DescriptorSpec, ...] = ()
