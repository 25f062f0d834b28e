"""Builds the word counter's compiled fast path (portal/documents/_fastcount.c); everything else is in
pyproject.toml. `make install` (pip install -e) compiles it with the system C compiler and Python headers;
portal.documents.wordcount falls back to the pure-Python walker if it is missing (see docs/wordcount-fast-path.md)."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("portal.documents._fastcount", ["portal/documents/_fastcount.c"],
                             extra_compile_args=["-O2", "-Wall", "-Wno-unused-function"])])
