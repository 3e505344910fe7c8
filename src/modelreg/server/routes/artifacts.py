"""The artifact proxy (mlflow-wire.md §3.3): files under the server's artifacts destination.

``mlflow-artifacts:/<path>`` is served at ``/api/2.0/mlflow-artifacts/artifacts/<path>``
(and under /ajax-api). Bodies stream both ways: a PUT is written to the store chunk by
chunk while it arrives, a GET is read from the store chunk by chunk while it is sent,
so memory does not grow with file size and the JSON body limit does not apply.

The client's bytes are awaited on the event loop; a thread of the server's pool only
ever gets a complete piece to write or read, so a client that stalls mid-upload (or
reads its download slowly) holds a connection, never a thread. The HTTP protocol
closes a connection whose body stalls for longer than the idle-body timeout.

The URL path is decoded exactly once (by the ASGI server); the result goes to the
:class:`~modelreg.service.artifact_proxy.ArtifactProxy`, which refuses anything that
still looks like traversal with 400 "Invalid path …" before touching storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import posixpath
import unicodedata
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from modelreg.artifacts import CHUNK_SIZE, FileInfo, Upload
from modelreg.server import wire as w
from modelreg.server.authz import EDIT, MANAGE, READ, ArtifactPathPermission
from modelreg.server.context import AppContext, Call
from modelreg.server.errors import JsonResponse, error_response
from modelreg.server.routing import Endpoint, Field, RawEndpoint, api_paths
from modelreg.server.runner import Runner
from modelreg.server.schemas import BINARY, EMPTY, STRING, array, obj, ref

Body = dict[str, Any]

PATH_PARAM: Final = "artifact_path"
# The ASGI server hands the body over in pieces of up to ~64 KiB; the store gets them
# in batches of about this size, so the hop between the event loop and a thread
# happens once per MiB, not once per network read.
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


async def _chunks_from(runner: Runner, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The store's chunks, each read on the pool; the client's pace is awaited on the loop."""
    while (chunk := await runner.run(next, chunks, None)) is not None:
        yield chunk


def bind_download(context: AppContext) -> RawEndpoint:
    proxy, runner = context.services.artifacts, context.runner

    async def download(request: Request) -> Response:
        path: str = request.path_params[PATH_PARAM]
        # Opened before the response starts, so a missing file is still a JSON 404.
        chunks = await runner.run(proxy.read, path)
        name = posixpath.basename(path.rstrip("/"))
        close = getattr(chunks, "close", None)
        return StreamingResponse(
            _chunks_from(runner, chunks),
            media_type=media_type(name),
            headers={"Content-Disposition": content_disposition(name), **_DOWNLOAD_HEADERS},
            background=BackgroundTask(runner.run, close) if close is not None else None,
        )

    return download


# ----------------------------------------------------------------- upload (PUT)
def _content_length(request: Request) -> int | None:
    declared = request.headers.get("content-length", "")
    return int(declared) if declared.isascii() and declared.isdigit() else None


async def _store_body(request: Request, upload: Upload, runner: Runner) -> None:
    """Write the body in ~1 MiB batches; the next batch is read while one is written."""
    writing: asyncio.Future[None] | None = None
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            parts.append(chunk)
            size += len(chunk)
            if size >= _BATCH_BYTES:
                if writing is not None:
                    await writing
                writing = asyncio.ensure_future(runner.run(upload.write, b"".join(parts)))
                parts, size = [], 0
    except BaseException:
        if writing is not None:  # never abort while a piece is still being written
            with contextlib.suppress(BaseException):
                await asyncio.shield(writing)
        raise
    if writing is not None:
        await writing
    if parts:
        await runner.run(upload.write, b"".join(parts))


def bind_upload(context: AppContext) -> RawEndpoint:
    proxy, runner = context.services.artifacts, context.runner

    async def upload(request: Request) -> Response:
        path: str = request.path_params[PATH_PARAM]
        # Checked and opened before any of the body is read: a refused path is a 4xx
        # at once, whatever the body's size.
        target = await runner.run(proxy.open_write, path, _content_length(request))
        try:
            await _store_body(request, target, runner)
            await runner.run(target.commit)
        except ClientDisconnect:
            # The client went away mid-upload (or stalled and was cut off): nothing is
            # kept. Nobody reads this response.
            await runner.run(target.abort)
            return Response(status_code=400)
        except Exception:
            await runner.run(target.abort)
            raise
        except BaseException:  # cancelled: no awaiting any more
            with contextlib.suppress(Exception):
                target.abort()
            raise
        # MLflow answers {} as JSON; an empty body without a type broke strict clients.
        return JsonResponse(b"{}")

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
        permission=ArtifactPathPermission(READ, PATH_PARAM),
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
        permission=ArtifactPathPermission(EDIT, PATH_PARAM),
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
        permission=ArtifactPathPermission(MANAGE, PATH_PARAM),
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
        permission=ArtifactPathPermission(READ, "path"),
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
            not_implemented=True,
            tag="artifacts",
            permission=ArtifactPathPermission(EDIT, PATH_PARAM),
        )
        for step in ("create", "complete", "abort")
    ),
)
