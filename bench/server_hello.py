"""A hello-world ASGI app under uvicorn: the load generator's ceiling on this machine.

``bench/server_bench.py`` starts it and points the same wrk commands at it as at the
registry servers, so the report can show how fast "no work at all" is here. The app
reads the request body, then answers every path with a fixed 27-byte JSON object in one
``http.response.start`` + one ``http.response.body`` message (as a Starlette
``Response`` does). uvicorn runs it with the settings ``modelreg server`` uses
(``src/modelreg/server/main.py``): one process, ``loop="auto"`` and ``http="auto"``
(uvloop and httptools when installed), lifespan on, no WebSocket support, no server
header, 5 s keep-alive; without modelreg's access log.

``--loop``, ``--http`` and ``--workers`` override those settings, so the same app can
also run on the stack ``mlflow server`` uses (asyncio + h11, several workers, started
the way uvicorn's ``--workers`` starts them).

Run it by hand::

    .venv/bin/python bench/server_hello.py --port 8999
    curl -s http://127.0.0.1:8999/health
    .venv-mlflow/bin/python bench/server_hello.py --port 8999 --loop asyncio --http h11 \
        --workers 4
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BODY = b'{"registered_model":{}}    '
HEADERS = [
    (b"content-length", str(len(BODY)).encode()),
    (b"content-type", b"application/json"),
]


async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:  # drain the request body, as a JSON endpoint would
        message = await receive()
        more = bool(message.get("more_body", False))
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8999)
    parser.add_argument("--loop", default="auto")
    parser.add_argument("--http", default="auto")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.workers > 1:
        # As `uvicorn --workers N` (and so `mlflow server`) runs: an import string,
        # a socket bound by the supervisor, N spawned worker processes.
        uvicorn.run(
            "server_hello:app",
            app_dir=str(Path(__file__).resolve().parent),
            host=args.host,
            port=args.port,
            workers=args.workers,
            loop=args.loop,
            http=args.http,
            lifespan="on",
            access_log=False,
            server_header=False,
            log_level="warning",
        )
        return
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        loop=args.loop,
        http=args.http,
        lifespan="on",
        ws="none",
        access_log=False,
        server_header=False,
        timeout_keep_alive=5,
        log_level="warning",
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
