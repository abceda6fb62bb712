"""Units every part of ecrcost shares, defined once: GB is 2^30 bytes on every AWS bill and price."""

GB = 2**30  # bytes in a GB (AWS prices "GB" as GiB)
US_PER_SECOND = 1_000_000  # time inside metering is integer microseconds
