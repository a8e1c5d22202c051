"""Reports people look at: HTML pages (``verify --format html``, the grader's report.html
and feedback pages), with mathematics as MathML and charts as inline SVG.

Nothing here needs the network to be viewed: CSS, SVG and the one small script are inline.
"""
