"""Time series: readings to regular grids, missing values, calendar features, splits, windows and normalisation.

Tables of timestamped readings are read per series, put on a regular grid under an explicit missing-value policy,
cut chronologically into splits and windows, and normalised on the training span.
"""
