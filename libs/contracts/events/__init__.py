"""One module per producing service; each declares the models of the events it emits."""
