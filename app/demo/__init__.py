"""The demo cohort: 32 submitters x 3 years of realistic, provenance-labelled workbooks.

Public API::

    from app.demo import service as demo_service
    demo_service.load(engine, settings, years=(2019, 2020, 2021))   # upload through submissions
    demo_service.workbooks(settings, years)                          # the filled .xlsx files
    from app.demo.first_start import prepare                         # `ipeval run`'s first start

Data generation (``generate``, ``scenario``, ``sources``) is pure; ``data/demo-cohort.csv``
is its shipped output (see ``docs/demo.md``).
"""
