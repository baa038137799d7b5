"""Reusable Dash components shared by pages (see hexmap.py for the hex map)."""
