"""Signal processing: one folder per analyzer family, joined by ``registry``."""
