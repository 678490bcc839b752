"""Training: callbacks, one fold's fit, and the cross-validation loop."""
