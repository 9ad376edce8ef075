"""Catalogue entries of the artifacts descriptors."""

from expert.features.catalogue.spec import DescriptorSpec

SPECS: tuple[DescriptorSpec, ...] = ()
