"""Interop tests: esprobe against real servers nobody here wrote (nginx, openssl s_server, dnsmasq, tinyproxy)."""
