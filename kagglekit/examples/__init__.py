"""What is particular to each competition: prepare scripts of shipped examples, custom code."""
