"""The hub (GERAI_ROLE=hub, PostgreSQL): outlets that sync to it, what they pushed, what it feeds back."""
