"""The programme register: each submitter's type and stage per year, and how it got there."""
