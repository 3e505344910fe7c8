"""The artifact proxy (mlflow-wire.md §3.3): files under the server's artifacts destination.

``mlflow-artifacts:/<path>`` is served at ``/api/2.0/mlflow-artifacts/artifacts/<path>``
(and under /ajax-api). Bodies stream both ways: a PUT is written to the store chunk by
chunk while it arrives, a GET is read from the store chunk by chunk while it is sent,
so memory does not grow with file size and the JSON body limit does not apply.

The URL path is decoded exactly once (by the ASGI server); the result goes to the
:class:`~modelreg.service.artifact_proxy.ArtifactProxy`, which refuses anything that
still looks like traversal with 400 "Invalid path …" before touching storage.
"""

from __future__ import annotations

import mimetypes
import posixpath
import unicodedata
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import quote

import anyio.from_thread
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from modelreg.artifacts import CHUNK_SIZE, FileInfo
from modelreg.server import wire as w
from modelreg.server.context import Call
from modelreg.server.errors import error_response
from modelreg.server.routing import Endpoint, Field, RawEndpoint, api_paths
from modelreg.server.schemas import BINARY, EMPTY, STRING, array, obj, ref
from modelreg.service.assembly import Services

Body = dict[str, Any]

PATH_PARAM: Final = "artifact_path"
# The ASGI server hands the body over in pieces of up to ~64 KiB; the writer thread
# gets them in batches of about this size, so the hop between the event loop and the
# thread happens once per MiB, not once per network read.
_BATCH_BYTES: Final = CHUNK_SIZE
_DOWNLOAD_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    # Never rendered by a browser as a page of this origin, whatever the file holds (T-21).
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "no-cache",
}


def _files(suffix: str = "") -> tuple[str, ...]:
    return api_paths(f"/mlflow-artifacts/artifacts{suffix}")


def _file_paths() -> tuple[str, ...]:
    return _files(f"/{{{PATH_PARAM}:path}}")


# --------------------------------------------------------------- download (GET)
def content_disposition(filename: str) -> str:
    """``attachment`` with the file's name, RFC 6266/5987 style for non-ASCII names."""
    if filename.isascii():
        escaped = filename.replace("\\", "\\\\").replace('"', '\\"')
        return f'attachment; filename="{escaped}"'
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = fallback.replace("\\", "").replace('"', "") or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def media_type(filename: str) -> str:
    return mimetypes.guess_type(filename, strict=False)[0] or "application/octet-stream"


def bind_download(services: Services) -> RawEndpoint:
    proxy = services.artifacts

    async def download(request: Request) -> Response:
        path: str = request.path_params[PATH_PARAM]
        # Opened before the response starts, so a missing file is still a JSON 404.
        chunks = await run_in_threadpool(proxy.read, path)
        name = posixpath.basename(path.rstrip("/"))
        close = getattr(chunks, "close", None)
        return StreamingResponse(
            chunks,
            media_type=media_type(name),
            headers={"Content-Disposition": content_disposition(name), **_DOWNLOAD_HEADERS},
            background=BackgroundTask(close) if close is not None else None,
        )

    return download


# ----------------------------------------------------------------- upload (PUT)
def _content_length(request: Request) -> int | None:
    declared = request.headers.get("content-length", "")
    return int(declared) if declared.isascii() and declared.isdigit() else None


def _body_chunks(request: Request) -> Iterator[bytes]:
    """The request body as a blocking iterator, for a writer running in a worker thread.

    Each ``next()`` asks the event loop for about a MiB more of the body; the ASGI
    server applies back-pressure to the socket meanwhile, so nothing piles up.
    """
    stream = request.stream().__aiter__()

    async def next_batch() -> bytes:
        parts: list[bytes] = []
        size = 0
        while size < _BATCH_BYTES:
            try:
                chunk = await stream.__anext__()
            except StopAsyncIteration:
                break
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)

    while batch := anyio.from_thread.run(next_batch):
        yield batch


def bind_upload(services: Services) -> RawEndpoint:
    proxy = services.artifacts

    async def upload(request: Request) -> Response:
        path: str = request.path_params[PATH_PARAM]
        try:
            await run_in_threadpool(
                proxy.write, path, _body_chunks(request), _content_length(request)
            )
        except ClientDisconnect:
            # The client went away mid-upload; the store kept nothing. Nobody reads this.
            return Response(status_code=400)
        return Response(status_code=200)

    return upload


# ------------------------------------------------------------- list and delete
def _file_info(info: FileInfo) -> Body:
    out: Body = {"path": posixpath.basename(info.path), "is_dir": info.is_dir}
    if info.file_size is not None:
        out["file_size"] = info.file_size
    return out


def list_artifacts(call: Call) -> Body:
    found = call.artifacts.list(w.optional_str(call.params, "path") or "")
    # A missing or empty folder is 200 {}: MLflow's register_model relies on it.
    return {"files": [_file_info(f) for f in found]} if found else {}


def delete_artifact(call: Call) -> Body:
    call.artifacts.delete(w.required_str(call.params, PATH_PARAM))
    return {}


# ------------------------------------------------------------------ multipart
async def multipart_not_implemented(request: Request) -> Response:
    # 501 makes the MLflow client fall back to a plain PUT (server-info says "off").
    return error_response(
        501,
        "NOT_IMPLEMENTED",
        "Multipart uploads are not supported by this server; upload the file with PUT.",
    )


# ------------------------------------------------------------------ the table
FILE = Field(PATH_PARAM, STRING, required=True, description="Path under the destination.")

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        _file_paths(),
        "downloadArtifact",
        "Download a file (streamed, as an attachment).",
        BINARY,
        (FILE,),
        bind=bind_download,
        response_media_type="application/octet-stream",
        tag="artifacts",
    ),
    Endpoint(
        "PUT",
        _file_paths(),
        "uploadArtifact",
        "Upload a file: the raw request body is stored, streamed (any Content-Type).",
        EMPTY,
        (FILE,),
        bind=bind_upload,
        request_media_type="application/octet-stream",
        tag="artifacts",
    ),
    Endpoint(
        "DELETE",
        _file_paths(),
        "deleteArtifact",
        "Delete a file or a folder (deleting what is not there does nothing).",
        EMPTY,
        (FILE,),
        delete_artifact,
        tag="artifacts",
    ),
    Endpoint(
        "GET",
        _files(),
        "listArtifacts",
        "One level of a folder; basenames. A missing or empty folder is {}.",
        obj({"files": array(ref("FileInfo"))}),
        (Field("path", STRING, description="Folder under the destination; default: root."),),
        list_artifacts,
        tag="artifacts",
    ),
    *(
        Endpoint(
            "POST",
            api_paths(f"/mlflow-artifacts/mpu/{step}/{{{PATH_PARAM}:path}}"),
            f"{step}MultipartUpload",
            f"Multipart upload ({step}): not supported, always 501 (use PUT).",
            ref("Error"),
            (FILE,),
            raw=multipart_not_implemented,
            tag="artifacts",
        )
        for step in ("create", "complete", "abort")
    ),
)
