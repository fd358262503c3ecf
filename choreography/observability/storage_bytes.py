"""Storage used, by kind, read from the database when ``/metrics`` is scraped.

Three aggregate queries per scrape (no row is fetched, nothing is counted per request):
``videos``, the completed generations' sizes (``result.size_bytes``); ``clips``, the library's
move clips, as their H.264 streams (the end of each frame index: the MP4 kept beside each is
about as large again); ``variants``, the stored tempo variants' streams.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BigIntegerField, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from choreography.models import ChoreographyTask, Move, MoveVariant, TaskStatus

NAME = "choreo_storage_bytes"
HELP = "Bytes stored, by kind (videos, clips, variants), from the database at scrape time"

LAST_OFFSET = {
    "sqlite": "json_extract(frame_offsets, '$[#-1]')",
    "postgresql": "(frame_offsets -> -1)::bigint",
}
"""A frame index's last entry (the stream's size in bytes), per database (SQL, not ORM:
neither backend's JSON path of the ORM reaches an array's last element)."""


def stream_bytes(table: str) -> int:
    """The sum of the streams' sizes of every row of ``table`` (a frame-indexed model)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM({LAST_OFFSET[connection.vendor]}), 0) FROM {table}")
        return int(cursor.fetchone()[0])


def video_bytes() -> int:
    total = ChoreographyTask.objects.filter(status=TaskStatus.COMPLETED).aggregate(
        total=Sum(Cast(KT("result__size_bytes"), BigIntegerField()))
    )["total"]
    return int(total or 0)


def storage_bytes() -> dict[str, int]:
    """{kind: bytes} (sync: it queries the database)."""
    return {
        "videos": video_bytes(),
        "clips": stream_bytes(Move._meta.db_table),
        "variants": stream_bytes(MoveVariant._meta.db_table),
    }


class StorageCollector(Collector):
    """``choreo_storage_bytes{kind}``, queried at each collection (only the scrape collects)."""

    def describe(self):
        return [GaugeMetricFamily(NAME, HELP, labels=["kind"])]

    def collect(self):
        family = GaugeMetricFamily(NAME, HELP, labels=["kind"])
        for kind, size in storage_bytes().items():
            family.add_metric([kind], size)
        yield family
