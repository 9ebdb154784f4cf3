"""A selection of invoice PDFs as one ZIP, streamed: each PDF is read from storage and sent
on as it is compressed, so memory holds a chunk, not the archive, whatever its size."""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Iterable

from aiohttp import web

from services.billing.queries import PdfFile
from shared.files.download import download_headers
from shared.files.storage import FileStorage


class _Pending:
    """What the ZIP writer has written and the response has not sent yet. Neither seekable
    nor tellable: zipfile then writes each entry's sizes after its data (data descriptors)."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def entry_names(files: Iterable[PdfFile]) -> list[str]:
    """Each PDF's name in the archive: its number, made safe, unique."""
    names: list[str] = []
    for file in files:
        base = file.filename.removesuffix(".pdf")
        name, n = f"{base}.pdf", 1
        while name in names:
            n += 1
            name = f"{base} ({n}).pdf"
        names.append(name)
    return names


async def stream_zip(
    request: web.Request, storage: FileStorage, files: list[PdfFile], filename: str
) -> web.StreamResponse:
    response = web.StreamResponse(headers=download_headers("application/zip", filename))
    response.enable_chunked_encoding()
    await response.prepare(request)
    pending = _Pending()
    with zipfile.ZipFile(pending, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[arg-type]
        for file, name in zip(files, entry_names(files), strict=True):
            with archive.open(name, "w") as entry:
                async with contextlib.aclosing(storage.read(file.storage_key)) as chunks:
                    async for chunk in chunks:
                        entry.write(chunk)
                        if len(pending.buffer) >= 64 * 1024:
                            await response.write(pending.take())
            await response.write(pending.take())
    await response.write(pending.take())
    await response.write_eof()
    return response
