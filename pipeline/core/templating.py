"""Jinja2 templates shipped inside the package (loaders, service worker), rendered deterministically."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2


@cache
def environment(package: str) -> jinja2.Environment:
    """One environment per template package; ``{% include %}`` works between its files. Jinja2 is imported
    here, when a template is first rendered: a build with nothing to render never pays for it."""
    import jinja2

    loader = jinja2.FunctionLoader(lambda name: resources.files(package).joinpath(name).read_text(encoding="utf-8"))
    return jinja2.Environment(loader=loader, autoescape=False, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)


def render(package: str, name: str, **context: object) -> str:
    return environment(package).get_template(name).render(**context)


def template_file(package: str, name: str) -> str:
    """The template's path on disk, so doit can list it as a dependency."""
    return str(resources.files(package).joinpath(name))
