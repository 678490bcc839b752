"""UCR PickupGestureWiimoteZ example (aeon's bundled copy of the UCR/UEA archive, official split)."""
