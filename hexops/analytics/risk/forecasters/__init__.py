"""The forecasters: one module each, registered with :func:`hexops.analytics.risk.registry.register_forecaster`.

:func:`hexops.analytics.risk.registry.load_forecasters` imports every module
here, so a new forecaster is a new module in this package (and its test);
nothing else lists it.
"""
