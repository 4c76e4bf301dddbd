"""The parameters of the ``ingest`` job kind: sources, SSAP constraints, download policy."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.jobs import Upload
from services.storage.paths import StoragePath
from services.vo import check_band, check_time, parse_pos

SOURCES = ("upload", "url", "url_list", "votable", "votable_url", "ssap_url")
SSAP_ONLY = ("pos", "size", "band", "time", "format")


def _floats(text: str, n: int, what: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.replace(",", " ").split())
    except ValueError:
        raise ValueError(f"{what}, got {text!r}") from None
    if len(values) != n:
        raise ValueError(f"{what}, got {text!r}")
    return values


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: StoragePath = Field(
        "",
        max_length=500,
        description="Folder in your storage that receives the spectra "
        "(default: ingest/<job id>). Created if missing.",
        title="Destination folder",
    )
    upload: Upload | None = Field(
        None,
        description="One spectrum, or a .zip / .tar.gz archive of spectra.",
        title="Spectrum or archive",
    )
    url: str = Field(
        "",
        max_length=2000,
        description="An http(s) or ftp:// URL: a spectrum file or a directory listing "
        "(crawled DEPTH levels deep).",
        title="URL of a file or listing",
    )
    depth: int = Field(
        1,
        ge=0,
        le=10,
        description="Sub-directory levels of a listing to follow (0 = none).",
        title="Listing depth",
    )
    url_list: Upload | None = Field(
        None,
        description="A text file of URLs, one per line; lines starting with # are ignored.",
        title="List of URLs (file)",
    )
    votable: Upload | None = Field(
        None,
        description="A VOTable whose access-reference column (utype ssa:Access.Reference, "
        "UCD meta.ref.url or a column named like access_url) lists the spectra.",
        title="VOTable of spectra (file)",
    )
    votable_url: str = Field(
        "", max_length=2000, description="The same, fetched from a URL.", title="VOTable URL"
    )
    ssap_url: str = Field(
        "",
        max_length=2000,
        description="Base URL of an SSAP 1.1 service to query.",
        title="SSAP service URL",
    )
    pos: str = Field(
        "",
        max_length=100,
        description="SSAP search centre 'ra,dec' in degrees.",
        title="SSAP position (ra,dec °)",
    )
    size: float | None = Field(
        None,
        gt=0,
        le=180,
        description="SSAP search diameter in degrees (with POS). Results farther than SIZE/2 "
        "from POS are left out and counted, also from services that read SIZE as a radius.",
        title="SSAP diameter (°)",
    )
    band: str = Field(
        "",
        max_length=100,
        description="SSAP spectral range 'lo/hi' in metres, e.g. 4e-7/7e-7.",
        title="SSAP band (m)",
    )
    time: str = Field(
        "",
        max_length=100,
        description="SSAP observation time 'start/end' (ISO 8601).",
        title="SSAP time range",
    )
    format: str = Field(
        "", max_length=100, description="SSAP FORMAT, e.g. fits or all.", title="SSAP format"
    )
    maxrec: int = Field(
        1000,
        ge=1,
        le=100000,
        description="At most this many SSAP rows (more: truncated).",
        title="SSAP row limit",
    )
    datalink: bool = Field(
        True,
        description="Follow DataLink documents (access references of the DataLink type, "
        "and the SSAP DataLink service when a SODA cut-out is asked for).",
        title="Follow DataLink",
    )
    soda_band: str = Field(
        "",
        max_length=100,
        description="SODA cut-out: spectral range 'lo hi' in metres (through DataLink).",
        title="SODA cut-out band (m)",
    )
    soda_circle: str = Field(
        "",
        max_length=100,
        description="SODA cut-out: 'ra dec radius' in degrees, where the service offers POS.",
        title="SODA cut-out circle (°)",
    )
    parallel: int = Field(
        4,
        ge=1,
        le=16,
        description="Downloads running at the same time.",
        title="Parallel downloads",
    )
    timeout: float = Field(
        60,
        gt=0,
        le=600,
        description="Seconds to wait for a server's answer (per read).",
        title="Timeout (s)",
    )
    max_file_mb: float = Field(
        200,
        gt=0,
        le=4096,
        description="Larger files are aborted and reported (MB).",
        title="Largest file (MB)",
    )
    retries: int = Field(
        3,
        ge=0,
        le=10,
        description="Retries, with exponential back-off, after connection errors, timeouts "
        "and HTTP 5xx/429 (never after 4xx).",
        title="Retries",
    )

    @field_validator("url", "votable_url", "ssap_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if value and (parts.scheme.lower() not in ("http", "https", "ftp") or not parts.netloc):
            raise ValueError("must be an http://, https:// or ftp:// URL")
        return value

    @field_validator("pos")
    @classmethod
    def _pos(cls, value: str) -> str:
        if value.strip():
            parse_pos(value)
        return value.strip()

    @field_validator("band")
    @classmethod
    def _band(cls, value: str) -> str:
        return check_band(value) if value.strip() else ""

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        return check_time(value) if value.strip() else ""

    @field_validator("soda_band")
    @classmethod
    def _soda_band(cls, value: str) -> str:
        if value.strip():
            lo, hi = _floats(value, 2, "must be 'lo hi' in metres")
            if not 0 < lo < hi:
                raise ValueError(f"needs 0 < lo < hi, got {value!r}")
        return value.strip()

    @field_validator("soda_circle")
    @classmethod
    def _soda_circle(cls, value: str) -> str:
        if value.strip():
            _ra, dec, radius = _floats(value, 3, "must be 'ra dec radius' in degrees")
            if not (-90 <= dec <= 90 and radius > 0):
                raise ValueError(f"needs -90 <= dec <= 90 and radius > 0, got {value!r}")
        return value.strip()

    @model_validator(mode="after")
    def _one_source(self) -> Parameters:
        if not any(getattr(self, name) for name in SOURCES):
            names = ", ".join(n.upper() for n in SOURCES)
            raise ValueError(f"give at least one source of spectra: {names}")
        stray = [n.upper() for n in SSAP_ONLY if getattr(self, n) not in ("", None)]
        if stray and not self.ssap_url:
            raise ValueError(f"{', '.join(stray)} only apply to an SSAP query: give SSAP_URL")
        return self

    @property
    def cutout_band(self) -> tuple[float, float] | None:
        return _floats(self.soda_band, 2, "") if self.soda_band else None  # type: ignore[return-value]

    @property
    def cutout_circle(self) -> tuple[float, float, float] | None:
        return _floats(self.soda_circle, 3, "") if self.soda_circle else None  # type: ignore[return-value]
