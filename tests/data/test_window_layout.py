"""`WindowLayout`: the one description of which window rows hold what."""

import numpy as np
import pytest

from dczoo.constants import WindowLayout, num_rows, row_slices


@pytest.mark.parametrize("max_passes,use_ccs_bq", [(20, False), (20, True), (3, False), (7, True)])
def test_rows_tile_the_tensor_in_reference_order(max_passes, use_ccs_bq):
    layout = WindowLayout(max_passes, use_ccs_bq)
    groups = list(layout.slices().values())
    assert groups[0][0] == 0 and groups[-1][1] == layout.num_rows
    assert all(a[1] == b[0] for a, b in zip(groups, groups[1:]))
    assert layout.num_rows == 4 * max_passes + 5 + use_ccs_bq == num_rows(max_passes, use_ccs_bq)
    assert layout.slices() == row_slices(max_passes, use_ccs_bq)
    assert layout.num_int_rows == layout.ccs + 1 == 4 * max_passes + 1
    assert (layout.ccs_bq is not None) == use_ccs_bq
    assert WindowLayout.from_num_rows(layout.num_rows) == layout
    assert layout.first_rows("pw", 2) == slice(max_passes, max_passes + 2)


def test_reference_rows_and_zmw_layout(human_1m):
    from dczoo.data import iter_zmw_windows

    layout = WindowLayout()
    assert (layout.ccs, layout.sn, layout.num_rows) == (80, slice(81, 85), 85)
    zmw = next(iter(iter_zmw_windows(human_1m / "subreads_to_ccs.bam", human_1m / "ccs.bam")))
    assert zmw.layout == layout and zmw.rows.shape[1] == layout.num_int_rows
    windows = zmw.windows
    np.testing.assert_array_equal(windows[:, layout.ccs], zmw.rows[:, 80])
    np.testing.assert_array_equal(windows[:, layout.sn, 0], np.broadcast_to(zmw.sn, (zmw.n_windows, 4)))
