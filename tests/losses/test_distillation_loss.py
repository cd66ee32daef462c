"""DistillationLoss against the reference values (KL and MSE, T = 1 and 2)."""

import numpy as np
import pytest
from keras import ops

from dczoo.errors import DczooInputError
from dczoo.losses import DistillationLoss

from tests.losses.loss_test_helpers import load_reference


@pytest.fixture(scope="module")
def reference():
    return load_reference("distillation_loss.npz")


@pytest.mark.parametrize("divergence", ["kl", "mse"])
@pytest.mark.parametrize("temperature", [1, 2])
def test_matches_reference(reference, divergence, temperature):
    key = f"{divergence}_T{temperature}"
    teacher, student = reference["teacher_logits"], reference["student_logits"]
    per_example = DistillationLoss(divergence, temperature, reduction=None)(teacher, student)
    np.testing.assert_allclose(ops.convert_to_numpy(per_example),
                               reference[f"{key}_per_example"], rtol=1e-4)
    mean = DistillationLoss(divergence, temperature)(teacher, student)
    np.testing.assert_allclose(ops.convert_to_numpy(mean), reference[f"{key}_mean"], rtol=1e-4)


def test_identical_logits_give_zero_and_bad_arguments_raise(reference):
    logits = reference["teacher_logits"][:2]
    for divergence in ("kl", "mse"):
        value = ops.convert_to_numpy(DistillationLoss(divergence, reduction=None)(logits, logits))
        np.testing.assert_allclose(value, 0.0, atol=1e-6)
    with pytest.raises(DczooInputError, match="divergence"):
        DistillationLoss("l1")
    with pytest.raises(DczooInputError, match="temperature"):
        DistillationLoss("kl", temperature=0)
    restored = DistillationLoss.from_config(DistillationLoss("kl", 3.0).get_config())
    assert (restored.divergence, restored.temperature) == ("kl", 3.0)
