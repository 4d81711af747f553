"""The `site` fixture (the app with the sample program, tokens per role) for every page test."""

from tests.web.test_pages import site  # noqa: F401
