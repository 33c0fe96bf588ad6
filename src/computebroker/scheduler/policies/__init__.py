"""One module per scheduling policy; the registry (``scheduler.registry``) names them."""
