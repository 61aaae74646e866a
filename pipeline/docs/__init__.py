"""``vango docs``: a documentation site from a folder of markdown files (front matter, navigation from the
folder tree, Pygments highlighting, Jinja2 themes, Pagefind search), built by doit tasks ``docs:*``.

Pure parts (front matter, markdown, navigation, links) are apart from the doit wiring (:mod:`.tasks`); the
per-page results are cached inside the ``docs:pages`` task, so an edit costs what changed.
"""
