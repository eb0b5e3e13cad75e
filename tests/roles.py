"""A roles file for the sign-in tests: Ed edits Havering, Ada administers, anyone else views."""

from __future__ import annotations

HAVERING = "E09000016"

ROLES = f"""
default_role = "viewer"

[[user]]
email = "ed@havering.gov.uk"
role = "editor"
places = ["{HAVERING}"]

[[user]]
email = "ada@nelondon.nhs.uk"
role = "admin"
"""
