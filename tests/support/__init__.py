"""
Helpers shared by the tests: stand-in stacks, loopback peers, the report schema, config loaders.

Tests import helpers from here only, never from a conftest module; fixtures stay in the conftest.py
files (the root one offers the stand-in Elasticsearch/Kibana fixtures to every directory).
"""
