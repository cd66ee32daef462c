"""The recipes' report: must-hold checks computed from evaluate.py results."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "recipes"))

import report  # noqa: E402


def _entry(q30, speed=100.0):
    return {"test": {"yield": {"30": q30}}, "windows_per_second": speed}


def _results(student4=190, twin4=150, student4_speed=140.0):
    return {
        "draft": _entry(100),
        "teacher_6layer": _entry(200, speed=100.0),
        "student_4layer": _entry(student4, speed=student4_speed),
        "student_4layer_nodistill": _entry(twin4),
        "student_3layer": _entry(120),
        "student_3layer_nodistill": _entry(130),
    }


def _rows(lines):
    return {line.split(" | ")[0].strip("| "): line for line in lines if line.startswith("| ")}


def test_checks_report_gain_share_speed_and_twins():
    rows = _rows(report.must_hold_lines(_results()))
    assert "+100 bases | yes" in rows["teacher_6layer improves Q30 yield over the draft"]
    assert "190 vs 150 | yes" in rows["student_4layer (distilled) beats student_4layer_nodistill at Q30"]
    # student_3layer loses to its twin: the check must say so.
    assert "120 vs 130 | NO" in rows["student_3layer (distilled) beats student_3layer_nodistill at Q30"]
    assert "90.0% | yes" in rows["student_4layer keeps >= 90% of the teacher's Q30 yield gain"]
    assert "1.40x | yes" in rows["student_4layer >= 1.3x the teacher's windows/s"]


def test_checks_fail_when_student_keeps_too_little_or_is_slow():
    rows = _rows(report.must_hold_lines(_results(student4=180, student4_speed=120.0)))
    assert "80.0% | NO" in rows["student_4layer keeps >= 90% of the teacher's Q30 yield gain"]
    assert "1.20x | NO" in rows["student_4layer >= 1.3x the teacher's windows/s"]
