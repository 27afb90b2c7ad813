"""What the extracts page shows: each extract, its columns and its download buttons."""

from dataclasses import dataclass

from openmash.extracts.catalogue import EXTRACTS, Extract
from openmash.extracts.tables import Column, ExportFormat

# The download button's value: the extract's key and the format, e.g. "annex-a-list-1:csv".
SEPARATOR = ":"


def download_choice(key: str, export_format: ExportFormat) -> str:
    return f"{key}{SEPARATOR}{export_format.value}"


def parse_download_choice(value: str) -> tuple[str, ExportFormat] | None:
    """(extract key, format) from a download button's value, or None if it names neither."""
    key, _, fmt = value.partition(SEPARATOR)
    if key not in EXTRACTS or fmt not in ExportFormat._value2member_map_:
        return None
    return key, ExportFormat(fmt)


@dataclass(frozen=True)
class DownloadButton:
    label: str
    value: str


@dataclass(frozen=True)
class ExtractPresenter:
    extract: Extract

    @property
    def key(self) -> str:
        return self.extract.key

    @property
    def title(self) -> str:
        return self.extract.title

    @property
    def summary(self) -> str:
        return self.extract.summary

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.extract.columns

    @property
    def buttons(self) -> list[DownloadButton]:
        return [
            DownloadButton(f"Download {fmt.label}", download_choice(self.extract.key, fmt))
            for fmt in ExportFormat
        ]


def extracts_listed() -> list[ExtractPresenter]:
    return [ExtractPresenter(extract) for extract in EXTRACTS.values()]
