"""The plant: IT demand bottom-up, grid, generators, battery, dispatch, emissions and sizing."""
