"""The workflow's `summary` rule: a per-shard table of a merged run.

Example:
```python
write_report("corrected.bam.summary.json", "corrected.bam.report.tsv")
```
"""

import json

from dczoo.atomic import write_text_atomically

COLUMNS = ("chunk", "zmws", "reads_written", "seconds", "zmws_per_s")


def report_rows(summary):
    """One row per shard, then a `total` row, from a `dczoo merge` summary.

    Args:
        summary: dict, the merged summary (`dczoo.inference.merge.merged_summary`).

    Returns:
        list of tuples in the order of `COLUMNS`; `seconds` is each shard's
        whole `dczoo correct` run, `zmws_per_s` its ZMWs over those seconds.

    Example:
    >>> report_rows({"shards": [{"chunk": "0/1", "zmws": 4, "reads_written": 3, "seconds": 2.0}]})
    [('0/1', 4, 3, 2.0, 2.0), ('total', 4, 3, 2.0, 2.0)]
    """
    rows = []
    for shard in summary["shards"]:
        seconds = shard.get("seconds")
        rate = round(shard["zmws"] / seconds, 3) if seconds else None
        rows.append((shard["chunk"], shard["zmws"], shard["reads_written"], seconds, rate))
    zmws = sum(row[1] for row in rows)
    seconds = round(sum(row[3] or 0 for row in rows), 3)
    rows.append(("total", zmws, sum(row[2] for row in rows), seconds,
                 round(zmws / seconds, 3) if seconds else None))
    return rows


def write_report(summary_path, report_path):
    """Writes `report_rows` of a merged summary JSON as a TSV, atomically.

    Args:
        summary_path: str, the merged summary JSON.
        report_path: str, the `.tsv` to write.
    """
    with open(summary_path, encoding="utf-8") as handle:
        summary = json.load(handle)
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join("" if value is None else str(value) for value in row) for row in report_rows(summary)]
    write_text_atomically(report_path, "\n".join(lines) + "\n")
