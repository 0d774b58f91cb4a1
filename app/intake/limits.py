"""Resource limits applied to every uploaded workbook."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class IntakeLimits:
    """What one upload may cost before it is refused.

    The defaults fit the real template (a few hundred cells, well under 1 MiB) with two
    orders of magnitude to spare, and keep one check within a fraction of a 2-core machine.
    """

    max_file_bytes: int = 10 * MIB
    #: total uncompressed bytes of a zip container (xlsx, ods), counted while inflating
    max_uncompressed_bytes: int = 100 * MIB
    max_zip_entries: int = 2_000
    #: per entry, uncompressed / compressed; real sheets stay far below (about 5-20)
    max_compression_ratio: float = 200.0
    #: rows and cells are counted in the XML stream, never taken from the declared dimension
    max_rows: int = 20_000
    max_cells: int = 500_000
    max_defined_names: int = 5_000
    #: the isolated reader's address-space limit (RLIMIT_AS) and wall-clock limit; the real
    #: template reads in well under a second. An upload runs at most two children (the
    #: read, then the annotated copy), so it holds a reader for at most 2 x 10 s and waits
    #: at most 2 x 15 s for one: 50 s in all, below the 60 s a reverse proxy usually allows
    #: a request (nginx's proxy_read_timeout).
    reader_memory_bytes: int = 1024 * MIB
    reader_timeout_seconds: float = 10.0
    #: how long a check may wait for a free reader slot before it is refused as busy
    reader_queue_seconds: float = 15.0
