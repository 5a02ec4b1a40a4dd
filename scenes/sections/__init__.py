"""One module per group of lecture sections; each function stages one section\x27s beats."""
