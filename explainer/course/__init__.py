"""A course: many lessons and problems, each with the outputs wanted, as one manifest.

:mod:`.manifest` reads and checks the manifest (``explainer course COURSE.toml``) before
any work starts; :mod:`.index` writes the index page that links every output and the
closing report. The work itself (a graph of content-keyed tasks on Dask) is the video
side's: :mod:`scenes.course`.
"""
