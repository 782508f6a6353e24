"""Cooling and climate: hourly ambient, facility overhead versus ambient, water."""
