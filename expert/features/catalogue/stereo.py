"""Catalogue entries of the stereo descriptors."""

from expert.features.catalogue.spec import DescriptorSpec

SPECS: tuple[DescriptorSpec, ...] = ()
