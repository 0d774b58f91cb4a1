"""Pure scoring library: rubric schema and loading, the vectorised scoring pipeline.

Imports stdlib, numpy, scipy and pydantic only. It reads no settings, clock or database;
the only files it reads are rubric files handed to the loader.
"""
