"""The API's routes, one module per resource."""

from computebroker.service.routes import (
    catalog,
    evaluations,
    jobs,
    placements,
    plans,
    scenarios,
    simulations,
    tokens,
)

__all__ = ["ROUTERS"]

ROUTERS = (
    catalog.router,
    scenarios.router,
    plans.router,
    jobs.router,
    simulations.router,
    evaluations.router,
    placements.router,
    tokens.router,
)
