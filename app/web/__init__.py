"""The evaluator's and the provincial office's workspace: server-rendered pages.

Routes translate HTTP into a view model (:mod:`app.reports.views`, shared with the letter and
the results workbook) and render a Jinja2 template. Every asset is served by the app itself.
"""
