"""Writes simulated ZMWs in exactly the layout of real PacBio + DeepConsensus training files.

Outputs (all in one folder, written under temporary names and renamed only
when everything succeeded, so a failed run leaves nothing half-written):

- `ccs.bam`: unaligned drafts (flag 4, MAPQ 255), tags RG, ec, np, rq, sn, zm.
- `subreads_to_ccs.bam`: one `@SQ` per draft; subreads grouped by ZMW in draft
  order, tags RG, cx, ip, np, pw, qe, qs, rq, sn, zm; `pw`/`ip` in native
  orientation; `@RG DS` declares `Ipd:CodecV1=ip;PulseWidth:CodecV1=pw`.
- `truth_to_ccs.bam` + `.bai`: the truth of each ZMW aligned to its draft
  (one `@SQ` per draft, coordinate-sorted), tags RG, qs, qe, mg.
- `truth.bed`: `contig begin end draft_name score strand`.
- `truth_split.tsv`: `contig chrom`.
- `simulation.json`: every parameter, the contigs and counts.
"""

import array
import hashlib
import json
import os
import pickle
import zlib

import pysam

from dczoo.errors import DczooInputError, output_error

OUTPUT_FILES = ("ccs.bam", "subreads_to_ccs.bam", "truth_to_ccs.bam", "truth_to_ccs.bam.bai",
                "truth.bed", "truth_split.tsv", "simulation.json")
_KIT = "BINDINGKIT=101-500-400;SEQUENCINGKIT=101-427-800;BASECALLERVERSION=5.0.0;FRAMERATEHZ=100.000000"
SUBREAD_RQ = 0.8


def read_group_id(movie, read_type):
    """PacBio read-group id: the first 8 hex digits of md5("<movie>//<READTYPE>")."""
    return hashlib.md5(f"{movie}//{read_type}".encode()).hexdigest()[:8]


def draft_name(movie, hole):
    """str: `movie/zmw/ccs`."""
    return f"{movie}/{hole}/ccs"


def _read_group(movie, read_type, extra=""):
    return {"ID": read_group_id(movie, read_type), "PL": "PACBIO",
            "DS": f"READTYPE={read_type};{extra}{_KIT}", "PU": movie, "PM": "SEQUEL"}


class BamSetWriter:
    """Collects simulated ZMWs and writes the output folder atomically.

    ZMWs are spooled (compressed) to a temporary file as they arrive, because
    the BAM headers need every draft's name and length before the first record.

    Args:
        out_dir: str. Output folder (created if missing).
        movie: str. Movie name used in read names and read groups.
        command_line: str, recorded in the `@PG` lines.
        version: str, dczoo's version.
        force: bool. Overwrite existing outputs.

    Example:
    >>> writer = BamSetWriter("sim/", "m64000_000000_000000")  # doctest: +SKIP
    >>> writer.add(zmw); writer.finish(info)  # doctest: +SKIP
    """

    def __init__(self, out_dir, movie, command_line="", version="", force=False):
        self.out_dir = out_dir
        self.movie = movie
        self.program = {"ID": "dczoo-simulate", "PN": "dczoo", "VN": version, "CL": command_line}
        existing = [f for f in OUTPUT_FILES if os.path.exists(os.path.join(out_dir, f))]
        if existing and not force:
            raise DczooInputError(
                f"{out_dir}: already holds {', '.join(existing)}; use --force to overwrite")
        self._created = _missing_folders(out_dir)
        self._tag = f".tmp-{os.getpid()}"
        self._spool_path = os.path.join(out_dir, f".spool{self._tag}")
        try:
            os.makedirs(out_dir, exist_ok=True)
            self._spool = open(self._spool_path, "wb")
        except OSError as error:
            self._remove_created()
            raise output_error(out_dir, error) from error
        self._drafts = []  # (name, length)

    def _tmp(self, name):
        return os.path.join(self.out_dir, f".{name}{self._tag}")

    def add(self, zmw):
        """Appends one SimulatedZmw (call in output order)."""
        self._drafts.append((draft_name(self.movie, zmw.hole), len(zmw.draft)))
        blob = zlib.compress(pickle.dumps(zmw, protocol=pickle.HIGHEST_PROTOCOL), 1)
        self._spool.write(len(blob).to_bytes(8, "little"))
        self._spool.write(blob)

    def _replay(self):
        if not self._spool.closed:
            self._spool.close()
        with open(self._spool_path, "rb") as spool:
            while True:
                size = spool.read(8)
                if not size:
                    return
                yield pickle.loads(zlib.decompress(spool.read(int.from_bytes(size, "little"))))

    def _headers(self):
        sq = [{"SN": n, "LN": length} for n, length in self._drafts]
        ccs_rg = _read_group(self.movie, "CCS")
        sub_rg = _read_group(self.movie, "SUBREAD", "Ipd:CodecV1=ip;PulseWidth:CodecV1=pw;")
        return (
            pysam.AlignmentHeader.from_dict({"HD": {"VN": "1.5", "SO": "unknown", "pb": "3.0.1"},
                                             "RG": [ccs_rg], "PG": [self.program]}),
            pysam.AlignmentHeader.from_dict({"HD": {"VN": "1.5", "SO": "unknown", "pb": "3.0.5"}, "SQ": sq,
                                             "RG": [sub_rg], "PG": [self.program]}),
            pysam.AlignmentHeader.from_dict({"HD": {"VN": "1.5", "SO": "coordinate", "pb": "3.0.1"}, "SQ": sq,
                                             "RG": [ccs_rg], "PG": [self.program]}),
        )

    def _ccs_record(self, header, zmw, rg):
        rec = pysam.AlignedSegment(header)
        rec.query_name = draft_name(self.movie, zmw.hole)
        rec.flag = 4
        rec.reference_id = -1
        rec.reference_start = -1
        rec.mapping_quality = 255
        rec.query_sequence = zmw.draft
        rec.query_qualities = array.array("B", zmw.draft_qualities.tobytes())
        rec.set_tag("RG", rg, "Z")
        if "ec" in zmw.draft_tags:
            rec.set_tag("ec", float(zmw.draft_tags["ec"]), "f")
        rec.set_tag("np", int(zmw.draft_tags["np"]), "C")
        rec.set_tag("rq", float(zmw.draft_tags["rq"]), "f")
        rec.set_tag("sn", array.array("f", zmw.sn.tolist()))
        rec.set_tag("zm", int(zmw.hole), "I")
        return rec

    def _subread_record(self, header, zmw, sub, ref_id, rg):
        rec = pysam.AlignedSegment(header)
        rec.query_name = f"{self.movie}/{zmw.hole}/{sub.qs}_{sub.qe}"
        rec.flag = 16 if sub.is_reverse else 0
        rec.reference_id = ref_id
        rec.reference_start = sub.reference_start
        rec.mapping_quality = 60
        rec.cigartuples = sub.cigartuples
        rec.query_sequence = sub.sequence
        rec.set_tag("RG", rg, "Z")
        rec.set_tag("cx", int(sub.cx), "C")
        rec.set_tag("ip", array.array("B", sub.ip.tobytes()))
        rec.set_tag("np", 1, "C")
        rec.set_tag("pw", array.array("B", sub.pw.tobytes()))
        rec.set_tag("qe", int(sub.qe))
        rec.set_tag("qs", int(sub.qs))
        rec.set_tag("rq", SUBREAD_RQ, "f")
        rec.set_tag("sn", array.array("f", zmw.sn.tolist()))
        rec.set_tag("zm", int(zmw.hole), "I")
        return rec

    def _truth_record(self, header, zmw, ref_id, rg):
        rec = pysam.AlignedSegment(header)
        rec.query_name = f"{self.movie}/{zmw.hole}/truth"
        rec.flag = 0
        rec.reference_id = ref_id
        rec.reference_start = zmw.truth_start
        rec.mapping_quality = 60
        rec.cigartuples = zmw.truth_cigartuples
        rec.query_sequence = zmw.truth
        rec.set_tag("RG", rg, "Z")
        rec.set_tag("qs", 0)
        rec.set_tag("qe", len(zmw.truth))
        rec.set_tag("mg", round(100.0 * zmw.truth_identity, 4), "f")
        return rec

    def finish(self, info):
        """Writes every output file, then renames them into place.

        Args:
            info: dict recorded as simulation.json (parameters, contigs, ...);
                counts per split are added.

        Returns:
            dict of output name -> path.
        """
        try:
            paths = self._write_all(info)
        except BaseException:
            self.abort()
            raise
        final = {}
        for name, tmp in paths.items():
            final[name] = os.path.join(self.out_dir, name)
            os.replace(tmp, final[name])
        self._remove(self._spool_path)
        return final

    def _write_all(self, info):
        ccs_h, sub_h, truth_h = self._headers()
        ccs_rg = ccs_h.to_dict()["RG"][0]["ID"]
        sub_rg = sub_h.to_dict()["RG"][0]["ID"]
        paths = {name: self._tmp(name) for name in OUTPUT_FILES}
        bed_rows, counts = [], {"zmws": 0, "subreads": 0, "per_split": {}}
        with pysam.AlignmentFile(paths["ccs.bam"], "wb", header=ccs_h) as ccs_out, \
                pysam.AlignmentFile(paths["subreads_to_ccs.bam"], "wb", header=sub_h) as sub_out, \
                pysam.AlignmentFile(paths["truth_to_ccs.bam"], "wb", header=truth_h) as truth_out:
            for ref_id, zmw in enumerate(self._replay()):
                ccs_out.write(self._ccs_record(ccs_h, zmw, ccs_rg))
                for sub in zmw.subreads:
                    sub_out.write(self._subread_record(sub_h, zmw, sub, ref_id, sub_rg))
                truth_out.write(self._truth_record(truth_h, zmw, ref_id, ccs_rg))
                bed_rows.append((zmw.contig, zmw.begin, zmw.end, draft_name(self.movie, zmw.hole),
                                 1.0 - zmw.truth_identity, zmw.strand))
                counts["zmws"] += 1
                counts["subreads"] += len(zmw.subreads)
                counts["per_split"][zmw.split] = counts["per_split"].get(zmw.split, 0) + 1
        pysam.index(paths["truth_to_ccs.bam"], paths["truth_to_ccs.bam.bai"])
        with open(paths["truth.bed"], "w") as bed:
            for row in sorted(bed_rows, key=lambda r: (r[0], r[1], r[3])):
                bed.write(f"{row[0]}\t{row[1]}\t{row[2]}\t{row[3]}\t{row[4]:.6g}\t{row[5]}\n")
        with open(paths["truth_split.tsv"], "w") as split_file:
            for contig in sorted(info.get("contigs", []), key=lambda c: c["name"]):
                split_file.write(f"{contig['name']}\t{contig['chrom']}\n")
        with open(paths["simulation.json"], "w") as js:
            json.dump(dict(info, counts=counts), js, indent=2, sort_keys=False)
            js.write("\n")
        return paths

    def abort(self):
        """Removes every temporary file, and the folders it created (nothing final is touched)."""
        try:
            if not self._spool.closed:
                self._spool.close()
        except OSError:
            pass  # a spool whose last buffer did not fit; removed below
        for name in OUTPUT_FILES:
            self._remove(self._tmp(name))
        self._remove(self._spool_path)
        self._remove_created()

    def _remove_created(self):
        for folder in self._created:
            try:
                os.rmdir(folder)
            except OSError:
                break  # not empty (or gone): keep it and its parents

    @staticmethod
    def _remove(path):
        try:
            os.remove(path)
        except OSError:
            pass


def _missing_folders(folder):
    """The folders `os.makedirs(folder)` would create, deepest first."""
    missing = []
    folder = os.path.abspath(folder)
    while not os.path.exists(folder):
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return missing
