"""File upload (9101) and download (9102): the detail files of 3202 in, its result files out.

A file belongs to the institution of the credential that stored it (or whose 3202 made it); another
institution asking for it is told, as for any unknown number, that there is no such file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.gateway.domain import detail_file
from services.gateway.domain.errors import InvalidInput
from services.gateway.service_layer.call import Call, text
from services.gateway.service_layer.deps import Deps

TIME = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Download:
    """A 9102 answer: the file's bytes, sent as they are (not in a reply envelope)."""

    filename: str
    content: bytes


def file_info(query_no: str, filename: str, deadline: datetime) -> dict[str, Any]:
    """`fileinfo` as 9101 and 3202 answer it."""
    return {"file_qury_no": query_no, "filename": filename, "dld_endtime": deadline.strftime(TIME)}


def _own_code(call: Call, node: dict[str, Any], name: str) -> None:
    sent = text(node, "fixmedins_code", required=False, max_length=30)
    if sent is not None and sent != call.code:
        raise InvalidInput(f"{name}.fixmedins_code {sent} is not the institution of these credentials ({call.code})")


def _filename(node: dict[str, Any], name: str) -> str:
    value = text(node, "filename", max_length=200)
    base = value.replace("\\", "/").rsplit("/", 1)[-1]
    if not base or any(ord(c) < 32 for c in base):
        raise InvalidInput(f"{name}.filename {value[:50]!r} is not a file name")
    return base


async def upload(deps: Deps, call: Call) -> dict[str, Any]:
    """9101: keep the file for its institution; its query number, name and download deadline."""
    node = call.node("fsUploadIn")
    _own_code(call, node, "fsUploadIn")
    filename = _filename(node, "fsUploadIn")
    content = detail_file.uploaded_bytes(node.get("in"), deps.files.max_bytes)
    now = deps.clock()
    query_no = detail_file.query_no("upload", now)
    deadline = now + timedelta(seconds=deps.files.keep_s)
    output = file_info(query_no, filename, deadline)
    async with deps.database.transaction() as tx:
        store = deps.store_for(tx)
        await store.save_file(call.code, query_no, "upload", filename, content, deadline)
        await store.save_message(call.code, call.msgid, call.infno, call.body_hash, reply=output)
    return output


async def download(deps: Deps, call: Call) -> Download:
    """9102: the institution's own file, by query number, until its deadline; a `filename` sent must be
    the file's own (its base name: HISs send it with or without a path), an empty one is not checked."""
    node = call.node("fsDownloadIn")
    _own_code(call, node, "fsDownloadIn")
    query_no = text(node, "file_qury_no", max_length=30)
    asked = _filename(node, "fsDownloadIn") if text(node, "filename", required=False, max_length=200) else None
    async with deps.database.transaction() as tx:
        found = await deps.store_for(tx).file(call.code, query_no, deps.clock())
    if found is None:
        raise InvalidInput(f"文件查询号 file_qury_no {query_no} 不存在或已过期 (no file of {call.code} has this number, "
                           "or its download deadline has passed)")
    if asked is not None and asked != found.filename:
        raise InvalidInput(f"文件名 filename {asked[:50]!r} 与文件查询号不符 (file_qury_no {query_no} is the file "
                           f"{found.filename!r}: send that name, or leave filename empty)")
    return Download(found.filename, found.content)
