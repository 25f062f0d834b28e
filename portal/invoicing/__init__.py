"""Weekly invoicing of resubmission and excess-length fees (SPEC §7)."""
