"""esprobe: why a Beat can or cannot talk securely to Elasticsearch and Kibana."""

__version__ = "0.1.0"
