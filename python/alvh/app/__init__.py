"""The application layer: the command line, terminal tables, plots, the daily risk report and the
risk journal. Nothing below this layer imports it."""
