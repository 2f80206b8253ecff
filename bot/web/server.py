"""The running bot serves the web table (``WEB_PORT``) with tornado, which PTB's webhook extra
already brings and which runs on the bot's own event loop: no second process, no thread.

Each request renders its one page from the live store (``Site.page``): a page changes as soon
as the store's content version does, and costs one /check or one profile when it is new.
"""

from __future__ import annotations

import logging

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, HTTPError, RequestHandler

from bot.web.site import Site, content_type

log = logging.getLogger(__name__)


class _Page(RequestHandler):
    """GET any page of the site; 404 for anything else (no listing, no other files)."""

    def initialize(self, site: Site) -> None:
        self.site = site

    async def get(self, path: str) -> None:
        if path.endswith("/") or not path:
            path += "index.html"
        if ".." in path.split("/"):
            raise HTTPError(404)
        body = await self.site.page(path)
        if body is None:
            raise HTTPError(404)
        self.set_header("Content-Type", content_type(path))
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-cache")  # revalidated: the data may change any time
        self.finish(body)


class WebServer:
    """The site on ``listen:port`` until ``stop``."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._server: HTTPServer | None = None
        self.port = 0

    async def start(self, listen: str, port: int) -> int:
        """Listen (port 0: any free one) and return the port."""
        app = Application([(r"/(.*)", _Page, {"site": self.site})], compress_response=True)
        sockets = bind_sockets(port, address=listen)
        self._server = HTTPServer(app)
        self._server.add_sockets(sockets)
        self.port = int(sockets[0].getsockname()[1])
        log.info("Serving the web table on http://%s:%d/", listen, self.port)
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
