"""MLflow's JSON codec, both ways, shared by the server and the HTTP client (pure).

``registry`` and ``tracking`` turn entities into the dicts MLflow's server emits and
those dicts back into entities, lenient where MLflow's own proto parser is (absent
fields take their proto defaults, int64 may arrive as text). One module per family,
so the server and the client can never drift apart: the round trip is tested.
"""
