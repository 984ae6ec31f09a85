# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Choose a parser from a file's content and run it.

Parsers register themselves with ``@register``. ``parse_file`` unpacks ZIP
archives (safely), asks every parser to ``sniff`` each file and runs the one
with the best score. The file name is never used to choose.
"""

import io
import json
import lzma
import posixpath
import zipfile
import zlib

from .base import BillParseError, decode_bytes, looks_binary, looks_utf16

_PARSERS = []

# Limits against hostile archives: total uncompressed size, members, ratio.
MAX_ZIP_TOTAL = 1024 * 1024 * 1024
MAX_ZIP_MEMBERS = 1000
MAX_ZIP_RATIO = 200

# What zipfile and its decompressors raise on damaged, encrypted or exotic
# archives (bad CRC or header, broken deflate/LZMA/bzip2 stream, negative
# seek, truncated data, unsupported method, password required).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    OverflowError,
)


def register(parser_class):
    """Class decorator adding a parser to the registry."""
    _PARSERS.append(parser_class)
    return parser_class


def parsers():
    return list(_PARSERS)


def get_parser(code, extra_parsers=()):
    """The parser class of ``code``; ``extra_parsers`` (unregistered
    classes, e.g. built from user-defined bill mappings) are looked up first."""
    for parser_class in (*extra_parsers, *_PARSERS):
        if parser_class.code == code:
            return parser_class
    raise KeyError(code)


class BillSource:
    """One file to parse, with lazily computed views of its content.

    ``text`` is the decoded text (BOM → UTF-8 → GB18030), ``json`` the
    decoded JSON document or ``None``. Tabular views (``rows``) are added by
    the tabular module.
    """

    def __init__(self, filename, data):
        self.filename = filename or "upload"
        self.data = data
        self._text = None
        self._json = False
        # Why the content is not JSON although it looks like it (e.g. nested
        # too deeply), for the "unknown layout" message.
        self.json_error = None

    @property
    def text(self):
        if self._text is None:
            self._text = decode_bytes(self.data, filename=self.filename)
        return self._text

    @property
    def json(self):
        if self._json is False:
            self._json = None
            head = self.data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
            if head[:1] in (b"{", b"["):
                try:
                    self._json = json.loads(self.text)
                except (ValueError, BillParseError):
                    self._json = None
                except RecursionError:
                    self._json = None
                    self.json_error = "JSON nested too deeply to be a bill"
        return self._json

    def skip_content(self):
        """Parser ``content`` kinds that cannot recognise this source: JSON
        parsers for what does not start like JSON, tabular ones for a valid
        JSON document (so a compact multi-MB JSON is never split as CSV)."""
        head = self.data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
        if head[:1] not in (b"{", b"["):
            return ("json",)
        if self.json is not None:
            return ("table",)
        return ()

    @property
    def is_zip(self):
        return self.data[:4] == b"PK\x03\x04"

    @property
    def is_xlsx(self):
        if not self.is_zip:
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
                names = set(archive.namelist())
        except _ZIP_ERRORS:
            return False
        return "[Content_Types].xml" in names and any(
            name.startswith("xl/") for name in names
        )


class BillParser:
    """Interface of a parser. Subclasses set the class attributes."""

    code = None  # unique, e.g. "alipay_signcustomer"
    label = None  # human name, e.g. "Alipay account bill (账务明细)"
    platform = None  # ec.shop platform value, e.g. "alipay"
    channel = None  # namespace of transaction ids, e.g. "alipay"
    version = "1"
    # What the parser reads, to skip hopeless sniffs: "json" (a JSON
    # document, valid or claimed when broken), "table" (CSV/TSV/XLSX rows:
    # never a valid JSON document), None (anything).
    content = None

    @classmethod
    def sniff(cls, source):
        """Return a score > 0 when this parser recognises ``source``."""
        raise NotImplementedError

    def parse(self, source):
        """Return a ``ParsedBill``; raise ``BillParseError`` on bad input."""
        raise NotImplementedError

    @classmethod
    def near_miss(cls, source):
        """For a file ``sniff`` refused: ``(score, BillParseError)`` when the
        content is this layout with something missing (e.g. a required
        column), so the user reads what is missing instead of "unknown
        layout"; ``None`` otherwise."""
        return None


def _safe_member_name(name):
    """Refuse absolute paths and parent references in archive names."""
    normalized = posixpath.normpath(name.replace("\\", "/"))
    return not (
        normalized.startswith("/")
        or normalized.startswith("../")
        or normalized == ".."
        or ":" in normalized.split("/")[0]
    )


def _member_filename(info):
    # Alipay zips carry GBK names without the UTF-8 flag (bit 11).
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def iter_zip_members(filename, data):
    """Yield (name, bytes) of the files inside a ZIP, refusing bombs."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        raise BillParseError(f"damaged ZIP archive: {exc}", filename=filename) from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > MAX_ZIP_MEMBERS:
            raise BillParseError(
                f"ZIP archive holds {len(infos)} files (limit {MAX_ZIP_MEMBERS})",
                filename=filename,
            )
        total = sum(info.file_size for info in infos)
        if total > MAX_ZIP_TOTAL or total > MAX_ZIP_RATIO * max(len(data), 1):
            raise BillParseError(
                f"ZIP archive expands to {total} bytes from {len(data)}: "
                "refused as a possible ZIP bomb",
                filename=filename,
            )
        for info in infos:
            name = _member_filename(info)
            if not _safe_member_name(name):
                raise BillParseError(
                    f"ZIP member name {name!r} points outside the archive",
                    filename=filename,
                )
            try:
                with archive.open(info) as member:
                    # Read at most the declared size + 1 to catch lying headers.
                    content = member.read(info.file_size + 1)
            except _ZIP_ERRORS as exc:
                raise BillParseError(
                    f"ZIP member {name!r} cannot be read ({_zip_reason(exc)})",
                    filename=filename,
                ) from None
            if len(content) > info.file_size:
                raise BillParseError(
                    f"ZIP member {name!r} is larger than declared",
                    filename=filename,
                )
            yield f"{filename}/{name}", content


def _zip_reason(exc):
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "encrypted: unpack it with its password first"
    if isinstance(exc, NotImplementedError):
        return f"unsupported compression: {exc}"
    return f"damaged: {type(exc).__name__}: {exc}"


def _candidates(extra_parsers, exclude):
    return [*extra_parsers, *(p for p in _PARSERS if p.code not in exclude)]


def _unknown_layout_error(source, extra_parsers, exclude):
    """The clearest refusal for content no parser recognises."""
    if not source.is_xlsx:
        try:
            source.text  # noqa: B018 - an undecodable text says so
        except BillParseError as error:
            return error
    best, best_score = None, 0
    for parser_class in _candidates(extra_parsers, exclude):
        try:
            miss = parser_class.near_miss(source)
        except BillParseError:
            miss = None
        if miss and miss[0] > best_score:
            best_score, best = miss
    if best is not None:
        return best
    if source.json_error:
        return BillParseError(source.json_error, filename=source.filename)
    return BillParseError(
        "unknown bill layout: no parser recognises the header or content",
        filename=source.filename,
    )


def detect(source, extra_parsers=(), exclude=()):
    """Return the parser class that best recognises ``source``.

    ``extra_parsers`` (unregistered classes, e.g. built from user-defined
    bill mappings) are tried first, so they win a tie with a registered
    parser; registered parsers whose code is in ``exclude`` are skipped.
    """
    best, best_score = None, 0
    skip = source.skip_content()
    for parser_class in _candidates(extra_parsers, exclude):
        if parser_class.content in skip:
            continue
        try:
            score = parser_class.sniff(source)
        except BillParseError:
            score = 0
        if score and score > best_score:
            best, best_score = parser_class, score
    return best


def parse_file(filename, data, *, parser_code=None, extra_parsers=(), exclude=()):
    """Parse a file (or every bill inside a ZIP) into ``ParsedBill`` objects.

    Summary companions inside a ZIP (e.g. Alipay ``(汇总)`` files) are
    skipped when no parser claims them; any other unknown file is an error.
    ``extra_parsers`` and ``exclude``: see ``detect`` (the model layer passes
    the parsers of the active bill mappings and the deactivated presets).
    """
    options = {"extra_parsers": extra_parsers, "exclude": exclude}
    if not data:
        raise BillParseError("the file is empty", filename=filename)
    source = BillSource(filename, data)
    if source.is_zip and not source.is_xlsx:
        bills = []
        for name, content in iter_zip_members(filename, data):
            try:
                bills.extend(
                    parse_file(name, content, parser_code=parser_code, **options)
                )
            except BillParseError:
                if "汇总" in name:
                    continue
                raise
        if not bills:
            raise BillParseError("the ZIP archive holds no bill", filename=filename)
        return bills
    if parser_code:
        parser_class = get_parser(parser_code, extra_parsers)
    else:
        if looks_binary(data) and not source.is_xlsx:
            if looks_utf16(data):
                raise BillParseError(
                    "binary content: UTF-16 text without a byte-order mark; "
                    "save it again as UTF-8 (or as Unicode text with its BOM)",
                    filename=filename,
                )
            raise BillParseError(
                "binary content: not a CSV, TSV, XLSX, JSON or ZIP bill",
                filename=filename,
            )
        parser_class = detect(source, extra_parsers, exclude)
        if parser_class is None:
            raise _unknown_layout_error(source, extra_parsers, exclude)
    parsed = parser_class().parse(source)
    parsed.filename = parsed.filename or filename
    return [parsed]
