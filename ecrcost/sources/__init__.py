"""Readers that turn files people write (scenario CSV, inventory folder) into Usage tables."""
