"""student_from_teacher: layer mappings and exactly which weights are copied."""

import numpy as np
import pytest
from keras import ops

from dczoo.distill import copied_weight_pairs, layer_mapping, student_from_teacher
from dczoo.errors import DczooInputError

from tests.distill.distill_test_helpers import tiny_batch, tiny_teacher


def _np(variable):
    return np.asarray(ops.convert_to_numpy(variable))


def test_layer_mappings():
    assert layer_mapping(6, 4, "alternating") == [0, 1, 3, 5]  # the paper's 1, 2, 4, 6
    assert layer_mapping(6, 4, "top") == [2, 3, 4, 5]
    assert layer_mapping(6, 4, "bottom") == [0, 1, 2, 3]
    assert layer_mapping(6, 3, "alternating") == [1, 3, 5]
    assert layer_mapping(6, 5, "alternating") == [0, 1, 2, 3, 5]
    assert layer_mapping(6, 2, [5, None]) == [5, None]
    for bad in [(6, 7, "top"), (6, 4, "middle"), (6, 2, [0, 6]), (6, 2, [0]), (6, 0, "top")]:
        with pytest.raises(DczooInputError):
            layer_mapping(*bad)


@pytest.fixture(scope="module")
def teacher():
    return tiny_teacher(num_layers=6)


def _assert_layer_equal(source, target):
    assert len(source.weights) == len(target.weights) > 0
    for src, dst in zip(source.weights, target.weights):
        np.testing.assert_array_equal(_np(src), _np(dst))


def test_default_copies_embeddings_condenser_head_and_mapped_sublayers(teacher):
    student = student_from_teacher(teacher, 4, init="alternating")
    t, s = teacher.backbone, student.backbone
    assert student.layer_mapping == [0, 1, 3, 5] and s.num_layers == 4
    assert student.name == "student_4layer"
    _assert_layer_equal(t.embedding, s.embedding)
    _assert_layer_equal(t.condenser, s.condenser)
    _assert_layer_equal(teacher.head, student.head)
    for student_index, teacher_index in enumerate([0, 1, 3, 5]):
        _assert_layer_equal(t.encoder_layers[teacher_index].attention,
                            s.encoder_layers[student_index].attention)
        _assert_layer_equal(t.encoder_layers[teacher_index].feedforward,
                            s.encoder_layers[student_index].feedforward)
        # Not copied by default (as the reference): alphas stay 0.
        assert float(_np(s.encoder_layers[student_index].attention_alpha)) == 0.0
        assert float(_np(s.encoder_layers[student_index].feedforward_alpha)) == 0.0
    # Not copied by default: the final norm keeps its fresh initialisation.
    np.testing.assert_array_equal(_np(s.final_norm.gamma), 1.0)
    np.testing.assert_array_equal(_np(s.final_norm.beta), 0.0)
    assert not np.allclose(_np(t.final_norm.gamma), 1.0)
    # Copies, not shared buffers.
    student.head.bias.assign(_np(student.head.bias) + 1.0)
    assert not np.allclose(_np(student.head.bias), _np(teacher.head.bias))
    # Everything `copied_weight_pairs` lists was copied, and nothing else is.
    fresh = student_from_teacher(teacher, 4, init="alternating")
    pairs = copied_weight_pairs(teacher, fresh)
    for src, dst in pairs:
        np.testing.assert_array_equal(_np(src), _np(dst))
    copied = {id(dst) for _, dst in pairs}
    not_copied = [v.path for v in fresh.weights if id(v) not in copied]
    assert sorted(not_copied) == sorted(
        [f"encoder_layer_{i}/{a}_alpha" for i in range(4) for a in ("attention", "feedforward")]
        + ["final_norm/gamma", "final_norm/beta"])


def test_optional_alpha_and_final_norm_copy_and_other_strategies(teacher):
    student = student_from_teacher(teacher, 3, init="top", copy_rezero_alphas=True,
                                   copy_final_norm=True, dropout=0.1)
    t, s = teacher.backbone, student.backbone
    assert student.layer_mapping == [3, 4, 5] and s.dropout == 0.1
    _assert_layer_equal(t.final_norm, s.final_norm)
    for student_index, teacher_index in enumerate([3, 4, 5]):
        source, target = t.encoder_layers[teacher_index], s.encoder_layers[student_index]
        _assert_layer_equal(source, target)  # every weight, alphas included
    # A student copied fully from the bottom 6 layers is the teacher itself.
    clone = student_from_teacher(teacher, 6, init="bottom", copy_rezero_alphas=True,
                                 copy_final_norm=True)
    windows, _ = tiny_batch(batch=2)
    np.testing.assert_allclose(_np(clone(windows)), _np(teacher(windows)), rtol=1e-5,
                               atol=1e-6)
    explicit = student_from_teacher(teacher, 2, init=[4, None])
    _assert_layer_equal(t.encoder_layers[4].attention, explicit.backbone.encoder_layers[0].attention)
    assert not np.allclose(_np(t.encoder_layers[4].attention.query_kernel),
                           _np(explicit.backbone.encoder_layers[1].attention.query_kernel))
    with pytest.raises(DczooInputError, match="teacher must be"):
        student_from_teacher(teacher.backbone, 2)
