"""The lazy package attributes of dczoo, dczoo.data, dczoo.inference and dczoo.export."""

import subprocess
import sys

import pytest

import dczoo


def test_packages_import_without_keras():
    code = ("import sys, dczoo, dczoo.data, dczoo.inference, dczoo.export; "
            "dczoo.data.load_split; assert 'keras' not in sys.modules, 'keras imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_names_resolve_to_their_definitions():
    from dczoo.data.dataset import WindowDataset
    from dczoo.hub.upload import upload_preset
    from dczoo.inference.pipeline import correct
    from dczoo.inference.read_filter import filter_reads

    assert dczoo.correct is correct
    assert dczoo.upload_preset is upload_preset
    assert dczoo.data.WindowDataset is WindowDataset
    assert dczoo.inference.filter_reads is filter_reads
    from dczoo.optimizers import make_optimizer

    assert dczoo.optimizers.make_optimizer is make_optimizer


def test_dir_lists_lazy_names_and_unknown_names_raise():
    assert {"data", "models", "optimizers", "correct", "upload_preset"} <= set(dir(dczoo))
    assert "WindowDataset" in dir(dczoo.data)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        dczoo.nothing
    with pytest.raises(AttributeError, match="dczoo.data"):
        dczoo.data.nothing
