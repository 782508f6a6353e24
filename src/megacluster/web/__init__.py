"""The web layer: a FastAPI app (JSON API + dashboard page) over ``simulate``; see :func:`create_app`."""
